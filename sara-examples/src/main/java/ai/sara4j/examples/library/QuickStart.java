package ai.sara4j.examples.library;

import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.data.Example;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.engine.EngineSettings;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.Trainer;
import ai.sara4j.djl.train.data.ExampleTokenizer;
import ai.sara4j.djl.train.data.TokenizedDataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The shortest complete use of the library (README, {@code docs/user-guide.md}): SARA on q_proj and v_proj of a
 * model, trained with the paper's recipe on E2E lines, saved.
 *
 * <pre>
 * java -cp sara-examples/target/sara-examples.jar ai.sara4j.examples.library.QuickStart MODEL E2E_LINES ADAPTER_OUT
 * </pre>
 */
public final class QuickStart {
    private QuickStart() {}

    /**
     * Fine-tunes the model folder {@code args[0]} on the E2E file {@code args[1]} and saves the adapter in
     * {@code args[2]}.
     *
     * @param args model folder, E2E data file, adapter folder to write
     * @throws Exception when a file cannot be read or written
     */
    public static void main(String[] args) throws Exception {
        fineTune(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
    }

    /**
     * Injects SARA (threshold 0.01) into q_proj and v_proj, trains with the default options and saves the adapter.
     *
     * @param model a Hugging Face model folder
     * @param data an E2E file
     * @param out the adapter folder to write
     * @throws IOException when a file cannot be read or written
     */
    public static void fineTune(Path model, Path data, Path out) throws IOException {
        // [walkthrough:quick-start]
        EngineSettings.applyDefaults();                      // first: DJL offline, one inter-op thread
        try (LanguageModel lm = LanguageModel.load(model)) {
            TargetMatcher targets = TargetMatcher.names("q_proj", "v_proj");
            AdaptedModel adapted = Adapters.inject(lm.model(), SaraConfig.builder(targets).threshold(0.01).build());
            List<Example> examples = E2eData.examples(data);   // (prompt, target) pairs
            long eos = lm.tokenizer().eosTokenId().orElseThrow();
            TokenizedDataset tokens = ExampleTokenizer.of(lm.tokenizer(), eos, 256).tokenize(examples);
            Trainer.builder(adapted).data(tokens).build().train();   // the paper's recipe: lr 3e-3, 3 epochs, batch 16
            adapted.save(out);                                 // adapter_config.json + adapter_model.safetensors
        }
        // [end]
    }
}
