package ai.sara4j.examples;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.sara4j.core.rank.BudgetMatcher;
import ai.sara4j.core.rank.Method;
import ai.sara4j.core.rank.RankPlanner;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterMethods;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.recipe.Recipe;
import ai.sara4j.djl.svd.EngineSingularValues;
import ai.sara4j.djl.svd.EngineSvd;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The adapter options shared by {@code finetune} and {@code bench train}: method, rank or threshold, targets and
 * method-specific options, turned into the method's config by {@code AdapterMethod.configure} (which applies the
 * papers' defaults and refuses options the method does not take).
 */
final class AdapterChoice {
    private static final Logger LOG = LoggerFactory.getLogger(AdapterChoice.class);

    @Option(names = "--method", defaultValue = "sara", description = "lora, sara, mosara, sora or edora (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--r", description = "LoRA/SoRA/EDoRA rank (LoRA default 8, PEFT's; the SARA paper's baseline is 10).")
    Integer r;

    @Option(names = "--alpha", description = "LoRA/SoRA/EDoRA alpha, scaling alpha/r (LoRA default r).")
    Double alpha;

    /** Null when neither option is given. */
    @ArgGroup(exclusive = true, heading = "SARA/Mo-SARA rank, one of:%n")
    RankChoice rank;

    static final class RankChoice {
        @Option(names = "--threshold", description = "SARA/Mo-SARA: share of the singular-value sum k must reach (defaults 0.01 / 0.5).")
        Double threshold;

        @Option(names = "--match-lora-r", description = "SARA/Mo-SARA: per-module ranks whose trainable count is closest to LoRA rank R on the same targets.")
        Integer matchLoraR;
    }

    @Option(names = "--heads", description = "Mo-SARA: parallel singular-value vectors (default 5).")
    Integer heads;

    @Option(names = "--init", description = "Initialisation variant (SARA: random or zero).")
    String init;

    @Option(names = "--dropout", description = "Adapter input dropout (default: the method's; 0.05 for SARA and Mo-SARA, the paper's).")
    Double dropout;

    @Mixin
    TargetOptions targets;

    @Option(names = "--method-option", paramLabel = "KEY=VALUE", description = "Method-specific option, repeatable (e.g. use_rslora=true for LoRA).")
    Map<String, String> extra = new LinkedHashMap<>();

    /** The preset ({@code finetune --recipe}) whose values stand where no option is given; null for none. */
    private Recipe recipe;

    /**
     * Takes {@code preset}'s method, targets (unless {@code --targets} was given), adapter values and method options
     * for every option not given.
     *
     * @param preset the recipe
     * @param methodGiven whether {@code --method} was given: then it must be the recipe's
     * @param targetsGiven whether {@code --targets} was given
     */
    void recipe(Recipe preset, boolean methodGiven, boolean targetsGiven) {
        if (methodGiven && !method.equals(preset.method())) {
            throw new IllegalArgumentException("--method " + method + " does not go with --recipe " + preset.name()
                    + ", a " + preset.method() + " recipe: leave --method out or pick a " + method + " recipe");
        }
        method = preset.method();
        if (!targetsGiven && !preset.targets().isEmpty()) {
            targets.targets = String.join(",", preset.targets());
        }
        recipe = preset;
    }

    /**
     * The method's configuration. {@code --match-lora-r} needs the checkpoint folder {@code model} (its singular
     * values, computed on {@code device}); without a folder it is an error.
     */
    AdapterConfig config(Path model, Device device, long seed) throws IOException {
        TargetMatcher matcher = targets.matcher();
        Map<String, Integer> ranks = Map.of();
        RankChoice choice = rank == null ? new RankChoice() : rank;
        Double threshold = choice.threshold;
        if (choice.matchLoraR != null) {
            // the ranks decide; the threshold that gave them is recorded in the adapter's configuration
            BudgetMatcher.Match match = matchLora(model, device, matcher, choice.matchLoraR);
            ranks = match.plan().ranks();
            threshold = match.threshold();
        }
        return AdapterMethods.byName(method).configure(options(matcher, threshold, ranks, seed));
    }

    /**
     * Checks every option's value and the method's taking it, before a command does any work (loads a model, opens
     * its output folder): a value out of range is an error naming the option.
     */
    void check(long seed) {
        Double threshold = rank == null ? null : rank.threshold;
        AdapterMethods.byName(method).configure(options(targets.matcher(), threshold, Map.of(), seed));
    }

    private AdapterOptions options(TargetMatcher matcher, Double threshold, Map<String, Integer> ranks, long seed) {
        Map<String, String> methodOptions = new LinkedHashMap<>(recipe == null ? Map.of() : recipe.methodOptions());
        methodOptions.putAll(extra);
        AdapterOptions.Builder b = (recipe == null ? AdapterOptions.builder(matcher) : recipe.adapterOptions(matcher))
                .ranks(ranks).seed(seed).extra(methodOptions);
        Optional.ofNullable(r).ifPresent(b::r);
        Optional.ofNullable(alpha).ifPresent(b::alpha);
        Optional.ofNullable(threshold).ifPresent(b::threshold);
        Optional.ofNullable(heads).ifPresent(b::heads);
        Optional.ofNullable(dropout).ifPresent(b::dropout);
        Optional.ofNullable(init).ifPresent(b::init);
        return b.build();
    }

    private BudgetMatcher.Match matchLora(Path model, Device device, TargetMatcher matcher, int loraR)
            throws IOException {
        Method m = Method.parse(method);
        if (!m.usesThreshold()) {
            throw new IllegalArgumentException("--match-lora-r applies to sara and mosara, not " + method);
        }
        if (model == null) {
            throw new IllegalArgumentException("--match-lora-r needs --model (the singular values of a checkpoint)");
        }
        int headCount = heads != null ? heads
                : recipe == null ? 5 : recipe.value("heads").map(Number::intValue).orElse(5);
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            RankPlanner planner = RankPlanner.of(checkpoint, matcher, CheckpointLayouts.storedInByOut(model));
            EngineSingularValues values = new EngineSingularValues(device, DataType.FLOAT64, EngineSvd.Algorithm.SVD,
                    1L << 30);
            BudgetMatcher.Match match = BudgetMatcher.matchLora(planner, m, headCount, planner.spectra(values),
                    loraR);
            LOG.info("--match-lora-r {}: threshold {} gives {} trainable parameters", loraR,
                    match.threshold(), match.plan().trainable());
            return match;
        }
    }
}
