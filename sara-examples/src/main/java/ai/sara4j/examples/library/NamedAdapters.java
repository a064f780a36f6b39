package ai.sara4j.examples.library;

import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.engine.EngineSettings;
import ai.sara4j.djl.model.Completion;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The library walk-through, part 3 ({@code docs/library.md}): two named adapters on one base model, switched, turned
 * off, and used side by side in one generation batch.
 *
 * <pre>
 * java -cp sara-examples/target/sara-examples.jar ai.sara4j.examples.library.NamedAdapters MODEL ADAPTER OTHER "PROMPT"
 * </pre>
 */
public final class NamedAdapters {
    private NamedAdapters() {}

    /**
     * Loads the model folder {@code args[0]} with the adapter folders {@code args[1]} and {@code args[2]} and prints
     * what each adapter, and the bare base, generates for {@code args[3]}.
     *
     * @param args model folder, first adapter folder, second adapter folder, prompt
     * @throws Exception when a file cannot be read
     */
    public static void main(String[] args) throws Exception {
        // [walkthrough:named-main]
        EngineSettings.applyDefaults();
        try (LanguageModel lm = LanguageModel.load(Path.of(args[0]))) {
            AdaptedModel adapted = load(lm, Path.of(args[1]), Path.of(args[2]));
            side(lm, adapted, args[3]).forEach(c -> System.out.println(c.text()));
        }
        // [end]
    }

    /**
     * Loads {@code first} (named {@value AdaptedModel#DEFAULT}) and {@code second} (named "second") and makes the
     * second active.
     *
     * @param lm a model without adapters
     * @param first an adapter folder
     * @param second another adapter folder
     * @return the adapted model, "second" active
     * @throws IOException when an adapter cannot be read
     */
    public static AdaptedModel load(LanguageModel lm, Path first, Path second) throws IOException {
        // [walkthrough:named]
        AdaptedModel adapted = Adapters.load(lm.model(), first);    // named "default", active
        adapted.loadAdapter("second", second);                       // frozen, not active
        System.out.println(adapted.adapterNames());                  // [default, second]
        adapted.setAdapter("second");     // forward passes, training, save(dir), merge and export use it now
        // [end]
        return adapted;
    }

    /**
     * Generates for {@code prompt} with the base alone, then once per row with "default", "second" and the base in
     * one batch.
     *
     * @param lm the model holding {@code adapted}
     * @param adapted the adapted model from {@link #load}
     * @param prompt the prompt
     * @return the batch's completions: "default", "second", base
     */
    public static List<Completion> side(LanguageModel lm, AdaptedModel adapted, String prompt) {
        // [walkthrough:scopes]
        GenerationOptions greedy = GenerationOptions.greedy(24);
        try (AdaptedModel.Scope off = adapted.disabled()) {          // every adapter off: the base model
            System.out.println(lm.generate(prompt, greedy).text());
        }
        List<String> rows = Arrays.asList("default", "second", AdaptedModel.BASE);
        try (AdaptedModel.Scope perRow = adapted.perRowAdapters(rows)) {   // row i through rows.get(i)
            return lm.generate(List.of(prompt, prompt, prompt), greedy);
        }
        // [end]
    }
}
