package ai.sara4j.examples.library;

import ai.djl.nn.Block;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.MergedCheckpointWriter;
import ai.sara4j.djl.engine.EngineSettings;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The library walk-through, part 2 ({@code docs/library.md}): reload a saved adapter onto a fresh model, generate,
 * export it for PEFT, write a merged checkpoint, and merge it into the model in memory.
 *
 * <pre>
 * java -cp sara-examples/target/sara-examples.jar ai.sara4j.examples.library.UseAdapter MODEL ADAPTER OUT
 * </pre>
 */
public final class UseAdapter {
    /** The prompt the example generates from: an E2E meaning representation. */
    public static final String PROMPT = "name : Alimentum | area : city centre | family friendly : no ||";

    private UseAdapter() {}

    /**
     * Loads the model folder {@code args[0]} with the adapter folder {@code args[1]}, writes {@code args[2]}/peft
     * and {@code args[2]}/merged, and merges the adapter into the model in memory.
     *
     * @param args model folder, adapter folder, output folder
     * @throws Exception when a file cannot be read or written
     */
    public static void main(String[] args) throws Exception {
        // [walkthrough:use-main]
        EngineSettings.applyDefaults();
        Path model = Path.of(args[0]);
        try (LanguageModel lm = LanguageModel.load(model)) {
            AdaptedModel adapted = reload(lm, Path.of(args[1]));
            export(adapted, model, Path.of(args[2]));
            mergeAndUnload(lm, adapted);
        }
        // [end]
    }

    /**
     * Puts the adapter saved in {@code adapter} into {@code lm}'s model and generates with it.
     *
     * @param lm a model without adapters
     * @param adapter an adapter folder (SARA4J's or a PEFT LoRA)
     * @return the adapted model
     * @throws IOException when the adapter cannot be read
     */
    public static AdaptedModel reload(LanguageModel lm, Path adapter) throws IOException {
        // [walkthrough:reload]
        AdaptedModel adapted = Adapters.load(lm.model(), adapter);   // SARA4J folders and PEFT LoRA folders
        System.out.println(lm.generate(PROMPT, GenerationOptions.greedy(24)).text());
        // [end]
        return adapted;
    }

    /**
     * Writes the adapter as a PEFT LoRA folder ({@code out/peft}) and a merged Hugging Face checkpoint
     * ({@code out/merged}); the model in memory is not changed.
     *
     * @param adapted the adapted model
     * @param model the base model's folder
     * @param out the output folder
     * @throws IOException when a folder cannot be written or the base checkpoint read
     */
    public static void export(AdaptedModel adapted, Path model, Path out) throws IOException {
        // [walkthrough:export]
        adapted.exportPeft(out.resolve("peft"), model.toString());          // PeftModel.from_pretrained reads it
        MergedCheckpointWriter.write(model, adapted, out.resolve("merged"));  // a plain checkpoint: W0 + ΔW
        // [end]
    }

    /**
     * Folds the adapter into the model's own weights, leaving a plain model, and generates with it.
     *
     * @param lm the model holding {@code adapted}
     * @param adapted the adapted model (spent afterwards)
     * @return the model, its Linears holding W0 + ΔW
     */
    public static Block mergeAndUnload(LanguageModel lm, AdaptedModel adapted) {
        // [walkthrough:merge]
        Block plain = adapted.mergeAndUnload();    // the same model, no adapter blocks left
        System.out.println(lm.generate(PROMPT, GenerationOptions.greedy(24)).text());   // as base + adapter
        // [end]
        return plain;
    }
}
