package ai.sara4j.examples;

import ai.djl.Device;
import ai.sara4j.core.data.DataFormat;
import ai.sara4j.core.data.Example;
import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterMethods;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.recipe.Recipe;
import ai.sara4j.djl.recipe.Recipes;
import ai.sara4j.djl.train.RunFingerprint;
import ai.sara4j.djl.train.StepMetrics;
import ai.sara4j.djl.train.Trainer;
import ai.sara4j.djl.train.TrainingOptions;
import ai.sara4j.djl.train.TrainingRun;
import ai.sara4j.djl.train.data.ExampleTokenizer;
import ai.sara4j.djl.train.data.TokenizedDataset;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./sara finetune}: trains an adapter on LLM-Adapters JSON or E2E data and writes a run folder. */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune an adapter (AdamW, linear warm-up/decay, global-norm clipping) and write RUN/adapter,"
                + " RUN/metrics.jsonl, RUN/loss.png and checkpoints; --resume continues a stopped run exactly.")
final class FinetuneCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(FinetuneCommand.class);
    /** The SARA paper's learning rates (Table 5, LLaMA-7B maths). */
    static final Map<String, Double> PAPER_LEARNING_RATES = Map.of("lora", 3e-4, "sara", 3e-3, "mosara", 3e-2);
    /** The kind of output a run folder is ({@link OutputFolder}). */
    static final String RUN_KIND = "finetune-run";

    @Option(names = "--model", required = true, description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--data", required = true, description = "Training data: LLM-Adapters JSON or E2E lines (mr||text).")
    Path data;

    @Option(names = "--format", description = "alpaca or e2e (default: alpaca for .json files, else e2e).")
    String format;

    @Option(names = "--recipe", description = "A paper's hyperparameters as a named preset (./sara recipes lists them);"
            + " every option given explicitly overrides the preset's value.")
    String recipe;

    @Mixin
    AdapterChoice adapterChoice;

    @ArgGroup(exclusive = true)
    Length length = new Length();

    static final class Length {
        @Option(names = "--epochs", description = "Passes over the data (default 3).")
        Integer epochs;

        @Option(names = "--max-steps", description = "Optimizer updates to run instead of epochs (>= 1).")
        Long maxSteps;
    }

    @Option(names = "--lr", description = "Peak learning rate (default: the paper's, 3e-4 LoRA, 3e-3 SARA, 3e-2 Mo-SARA).")
    Double lr;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per micro-batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per update (default ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--max-len", defaultValue = "256", description = "Longest sequence; longer ones lose the end of their target, counted and reported (default ${DEFAULT-VALUE}).")
    int maxLen;

    @Option(names = "--warmup", defaultValue = "100", description = "Warm-up updates; one not shorter than the run becomes a tenth of it, with a warning (default ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW decoupled weight decay (default ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Global-norm clipping, 0 for none (default ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--seed", defaultValue = "42", description = "Adapter initialisation, data order and dropout (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--save-every", defaultValue = "200", description = "Checkpoint every N updates, 0 for only at the end (default ${DEFAULT-VALUE}).")
    long saveEvery;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "Label smoothing ε of the loss, in [0, 1): (1-ε)·cross-entropy + ε·mean over the vocabulary of -log p, as transformers' label_smoothing_factor (the SARA paper's E2E recipe uses 0.1; default ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--gradient-checkpointing", description = "Recompute each decoder layer's activations in the backward pass instead of keeping them: less memory for long sequences and deep models, about a third more compute, the same gradients.")
    boolean gradientCheckpointing;

    @Mixin
    DeviceOption device;

    @Option(names = "--keep-checkpoints", defaultValue = "2", description = "Checkpoints kept, newest first; resume falls back to an older one when the newest is damaged (default ${DEFAULT-VALUE}).")
    int keepCheckpoints;

    @Option(names = "--resume", description = "Continue the run in --out from its newest intact checkpoint (refused when any setting differs).")
    boolean resume;

    @Option(names = "--out", required = true, description = "Run folder: new, empty, or an earlier run of ./sara "
            + "finetune (marked by its .sara4j-output file; continued with --resume).")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Spec
    CommandSpec spec;

    /** The command-line option of each {@link TrainingOptions} builder option. */
    static final Map<String, String> FLAGS = Map.ofEntries(Map.entry("learningRate", "--lr"),
            Map.entry("epochs", "--epochs"), Map.entry("maxSteps", "--max-steps"),
            Map.entry("batchSize", "--batch-size"), Map.entry("gradientAccumulation", "--grad-accum"),
            Map.entry("warmupSteps", "--warmup"), Map.entry("weightDecay", "--weight-decay"),
            Map.entry("maxGradNorm", "--max-grad-norm"), Map.entry("saveEvery", "--save-every"),
            Map.entry("labelSmoothing", "--label-smoothing"), Map.entry("seed", "--seed"));

    /** The options that change what a {@code --recipe} sets, named in the run's log as its overrides. */
    private static final Set<String> RECIPE_FLAGS = Set.of("--method", "--r", "--alpha", "--threshold",
            "--match-lora-r", "--heads", "--dropout", "--targets", "--method-option", "--lr", "--epochs",
            "--max-steps", "--batch-size", "--warmup", "--weight-decay", "--max-grad-norm", "--label-smoothing",
            "--seed");

    @Override
    public Integer call() throws Exception {
        Recipe preset = recipe == null ? null : Recipes.named(recipe);
        if (preset != null) {
            adapterChoice.recipe(preset, given("--method"), given("--targets"));
        }
        adapterChoice.check(seed); // the values and the method's taking them; the seed is not checked
        Device dev = device.device();
        TrainingOptions options = options(dev, preset);
        if (maxLen < 2) {
            throw new IllegalArgumentException("--max-len must be >= 2, got " + maxLen);
        }
        if (keepCheckpoints < 1) {
            throw new IllegalArgumentException("--keep-checkpoints must be >= 1, got " + keepCheckpoints);
        }
        DataFormat dataFormat = format == null ? DataFormat.detect(data) : DataFormat.parse(format);
        List<Example> examples = dataFormat.trainingExamples(data);
        claimRunFolder();
        try (LanguageModel lm = LanguageModel.load(model, dev)) {
            long eos = lm.model().config().eosTokenIds().stream().findFirst().orElseThrow(() ->
                    new IllegalArgumentException(model + "/config.json: no eos_token_id; the target needs an EOS"));
            TokenizedDataset tokens = ExampleTokenizer.of(lm.tokenizer(), eos, maxLen).tokenize(examples);
            System.err.printf(Locale.ROOT, "data: %d examples from %s, %d truncated at --max-len %d, %d dropped"
                    + " (prompt alone too long)%n", examples.size(), data, tokens.truncated(), maxLen, tokens.dropped());
            AdapterConfig config = adapterChoice.config(model, dev, options.seed());
            AdaptedModel adapter = Adapters.inject(lm.model(), config);
            System.err.printf(Locale.ROOT, "%s: %d trainable parameters on %d modules%n", config.method(),
                    adapter.trainableCount(), adapter.layers().size());
            Trainer.Result result;
            try (ProgressBar bar = ProgressBars.create("train", "steps")) {
                Trainer.Builder trainer = Trainer.builder(adapter).data(tokens).padTokenId(eos).options(options)
                        .onStep(m -> show(bar, m)).runFolder(out).resume(resume).keepCheckpoints(keepCheckpoints)
                        .fingerprint("model", RunFingerprint.modelFolder(model))
                        .fingerprint("data.file", RunFingerprint.sha256(data))
                        .fingerprint("data.maxLength", Integer.toString(maxLen));
                if (preset != null) {
                    String overrides = overrides();
                    System.err.printf(Locale.ROOT, "recipe %s (%s; %s, %s): %s; overridden: %s%n", preset.name(),
                            preset.source(), preset.task(), preset.model(), RecipesCommand.options(preset),
                            overrides.isEmpty() ? "nothing" : overrides);
                    trainer.fingerprint("recipe", preset.name()).fingerprint("recipe.overrides", overrides);
                }
                result = trainer.build().train();
            }
            // the adapter remembers its base, so merge/export/generate need no --model
            Path saved = out.resolve(TrainingRun.ADAPTER);
            PeftConfig.read(saved).baseModelNameOrPath(model.toAbsolutePath().toString()).write(saved);
            writeCharts(out);
            System.err.printf(Locale.ROOT, "done: %d updates (%d skipped), final loss %.4f, %.0f tokens/s%n",
                    result.steps(), result.skipped(), result.finalLoss(), result.tokens() / result.seconds());
            System.out.println("adapter: " + out.resolve(TrainingRun.ADAPTER).toAbsolutePath());
            System.out.println("metrics: " + out.resolve(TrainingRun.METRICS_FILE).toAbsolutePath());
            System.out.println("loss chart: " + out.resolve("loss.png").toAbsolutePath());
        }
        return 0;
    }

    /**
     * Marks {@code --out} as a run folder before anything is written into it; {@code --resume} needs one that an
     * earlier run marked, and {@code --overwrite} (which starts afresh) cannot go with it.
     */
    private void claimRunFolder() throws IOException {
        OutputFolder run = OutputFolder.of(RUN_KIND, "./sara finetune").withInput("--model", model)
                .withInput("--data", data).withOverwrite(overwrite.overwrite);
        if (!resume) {
            if (overwrite.overwrite) {
                TrainingRun.requireNoWriter(out); // --overwrite replaces a finished run, never a live one
            }
            run.claim(out);
            return;
        }
        if (overwrite.overwrite) {
            throw new IllegalArgumentException("--resume continues the run in --out and --overwrite would delete it;"
                    + " pass one of them");
        }
        run.check(out);
        if (!Files.isDirectory(out) || !OutputFolder.kindOf(out).equals(Optional.of(RUN_KIND))) {
            throw new IllegalArgumentException("--resume: --out " + out + " is not a run folder of ./sara finetune"
                    + " (it has no " + OutputFolder.MARKER + " marker of a finetune run)");
        }
    }

    /**
     * The training options of the command line, checked before any work (an error names the option): a recipe's
     * values where it has them and the option was not given, else the option's value.
     */
    private TrainingOptions options(Device dev, Recipe preset) {
        TrainingOptions.Builder b = preset == null ? TrainingOptions.builder() : preset.trainingOptions();
        if (lr != null) {
            b.learningRate(lr);
        } else if (preset == null) {
            b.learningRate(paperLearningRate(adapterChoice.method));
        } else if (preset.value("learningRate").isEmpty()) {
            throw new IllegalArgumentException("recipe " + preset.name() + " gives no learning rate; pass --lr");
        }
        override(preset, "--batch-size", batchSize, b::batchSize);
        override(preset, "--warmup", warmup, b::warmupSteps);
        override(preset, "--weight-decay", weightDecay, b::weightDecay);
        override(preset, "--max-grad-norm", maxGradNorm, b::maxGradNorm);
        override(preset, "--seed", seed, b::seed);
        override(preset, "--label-smoothing", labelSmoothing, b::labelSmoothing);
        b.gradientAccumulation(gradAccum).saveEvery(saveEvery).lossScaling(dev.isGpu())
                .gradientCheckpointing(gradientCheckpointing);
        if (length.maxSteps != null) {
            b.maxSteps(length.maxSteps);
        } else if (length.epochs != null) {
            b.epochs(length.epochs);
        }
        try {
            return b.build();
        } catch (TrainingOptions.InvalidOptionException e) {
            throw new IllegalArgumentException(FLAGS.getOrDefault(e.option(), e.option()) + " " + e.problem(), e);
        }
    }

    /** Sets an option's value unless a recipe holds the value and the option was not given on the command line. */
    private <T> void override(Recipe preset, String flag, T value, Consumer<T> setter) {
        if (preset == null || given(flag)) {
            setter.accept(value);
        }
    }

    /** Whether {@code flag} was given on the command line (not its default). */
    private boolean given(String flag) {
        return spec.commandLine().getParseResult().hasMatchedOption(flag);
    }

    /** The options given on the command line that change what a recipe sets, with their values as typed. */
    private String overrides() {
        return spec.commandLine().getParseResult().matchedOptions().stream()
                .filter(o -> RECIPE_FLAGS.contains(o.longestName()))
                .map(o -> o.longestName() + " " + String.join(" ", o.originalStringValues()))
                .distinct().reduce((a, b) -> a + ", " + b).orElse("");
    }

    static double paperLearningRate(String method) {
        AdapterMethods.byName(method); // an unknown method is named as such, not as one without a learning rate
        Double value = PAPER_LEARNING_RATES.get(method);
        if (value == null) {
            throw new IllegalArgumentException("no paper learning rate for method " + method + "; pass --lr");
        }
        return value;
    }

    private static void show(ProgressBar bar, StepMetrics m) {
        bar.maxHint(m.totalSteps());
        bar.stepTo(m.step());
        bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f lr %.2e %.0f tok/s", m.loss(), m.learningRate(),
                m.tokensPerSecond()));
    }

    /** {@code RUN/loss.png}, and {@code RUN/rank.png} when step hooks report ranks (SoRA's live rank). */
    static void writeCharts(Path run) throws java.io.IOException {
        List<JsonNode> lines = TrainingRun.readMetrics(run);
        double[] steps = lines.stream().mapToDouble(l -> l.path("step").asDouble()).toArray();
        double[] losses = lines.stream().mapToDouble(l -> l.path("loss").asDouble()).toArray();
        Charts.lines(run.resolve("loss.png"), "Training loss", "step", "loss",
                Map.of("loss", new Charts.Series(steps, losses)));
        Map<String, Charts.Series> ranks = new LinkedHashMap<>();
        if (!lines.isEmpty()) {
            for (Iterator<String> names = lines.get(lines.size() - 1).fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (name.contains("rank")) {
                    double[] values = lines.stream().mapToDouble(l -> l.path(name).asDouble()).toArray();
                    ranks.put(name, new Charts.Series(steps, values));
                }
            }
        }
        if (!ranks.isEmpty()) {
            Charts.lines(run.resolve("rank.png"), "Live rank", "step", "rank", ranks);
        }
        LOG.debug("charts written to {}", run);
    }
}
