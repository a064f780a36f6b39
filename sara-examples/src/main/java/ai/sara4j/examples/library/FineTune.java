package ai.sara4j.examples.library;

import ai.djl.Device;
import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.data.Example;
import ai.sara4j.core.rank.Method;
import ai.sara4j.core.rank.RankPlan;
import ai.sara4j.core.rank.RankPlanner;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.engine.EngineSettings;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.nn.ModelTensors;
import ai.sara4j.djl.svd.EngineSingularValues;
import ai.sara4j.djl.train.StepMetrics;
import ai.sara4j.djl.train.Trainer;
import ai.sara4j.djl.train.TrainingOptions;
import ai.sara4j.djl.train.data.ExampleTokenizer;
import ai.sara4j.djl.train.data.TokenizedDataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The library walk-through, part 1 ({@code docs/library.md}): load a model, plan SARA's ranks, inject SARA adapters,
 * fine-tune them on E2E lines, save the adapter and generate with it.
 *
 * <pre>
 * java -cp sara-examples/target/sara-examples.jar ai.sara4j.examples.library.FineTune MODEL E2E_LINES OUT
 * </pre>
 */
public final class FineTune {
    private FineTune() {}

    /**
     * Fine-tunes the model folder {@code args[0]} on the E2E file {@code args[1]}, writing into {@code args[2]}.
     *
     * @param args model folder, E2E data file ({@code mr||text} lines), output folder
     * @throws Exception when a file cannot be read or written
     */
    public static void main(String[] args) throws Exception {
        // [walkthrough:main]
        EngineSettings.applyDefaults();            // first, before DJL starts: offline, one inter-op thread
        try (LanguageModel lm = LanguageModel.load(Path.of(args[0]))) {
            fineTune(lm, Path.of(args[1]), Path.of(args[2]), m -> System.out.println(m.step() + " loss " + m.loss()));
        }
        // [end]
    }

    /**
     * Plans, injects SARA into q_proj and v_proj, trains a few steps on the first lines of {@code data}, saves the
     * adapter into {@code out/adapter} and generates for the first prompt. The adapter stays in {@code lm}.
     *
     * @param lm the loaded model
     * @param data an E2E file
     * @param out the output folder
     * @param onStep called after every update with its metrics
     * @return the adapted model
     * @throws IOException when the data cannot be read or the adapter cannot be written
     */
    public static AdaptedModel fineTune(LanguageModel lm, Path data, Path out, Consumer<StepMetrics> onStep)
            throws IOException {
        // [walkthrough:plan]
        TargetMatcher targets = TargetMatcher.names("q_proj", "v_proj");
        RankPlan plan = RankPlanner.of(ModelTensors.of(lm.model()), targets)
                .byThreshold(Method.SARA, 0.01, EngineSingularValues.exact(Device.cpu()));
        System.out.println(plan.toTable());        // k per module, from the singular values of its weight
        // [end]
        // [walkthrough:inject]
        AdaptedModel adapted = Adapters.inject(lm.model(), SaraConfig.builder(targets).threshold(0.01).build());
        System.out.println(adapted.trainableSummary());   // trainable params: … || all params: … || trainable%: …
        // [end]
        // [walkthrough:data]
        List<Example> examples = E2eData.examples(data).subList(0, 32);    // prompt "mr ||", target " text"
        long eos = lm.tokenizer().eosTokenId().orElseThrow();
        TokenizedDataset tokens = ExampleTokenizer.of(lm.tokenizer(), eos, 96).tokenize(examples);
        // [end]
        // [walkthrough:train]
        Trainer.builder(adapted)
                .data(tokens)                      // causal-LM loss on the targets, prompts masked
                .options(TrainingOptions.builder().learningRate(2e-2).maxSteps(8).batchSize(8).warmupSteps(0).build())
                .onStep(onStep)
                .build()
                .train();                          // in memory; .runFolder(dir) adds metrics, checkpoints, resume
        // [end]
        // [walkthrough:save]
        adapted.save(out.resolve("adapter"));      // adapter_config.json + adapter_model.safetensors
        System.out.println(lm.generate(examples.get(0).prompt(), GenerationOptions.greedy(24)).text());
        // [end]
        return adapted;
    }
}
