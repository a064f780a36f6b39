package ai.sara4j.djl.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.model.CausalLM;
import ai.sara4j.djl.train.data.Batch;
import ai.sara4j.djl.train.data.BatchOrder;
import ai.sara4j.djl.train.data.TokenizedDataset;
import ai.sara4j.djl.train.data.TrainingExample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the adapter of a causal language model on tokenized examples.
 *
 * <p>One optimizer update: {@code gradientAccumulation} micro-batches in the {@link BatchOrder}, each forward and
 * backward inside its own {@link NDScope} (nothing survives a micro-batch but the accumulated gradients); the loss is
 * the summed target cross-entropy divided by the target tokens of the whole update (so accumulation equals one big
 * batch); gradients are unscaled ({@link LossScaler}), their global norm taken and clipped, then {@link AdamW}
 * applies the {@link LinearSchedule}'s learning rate, every {@link StepHook} runs, and gradients are zeroed. An update
 * with non-finite gradients is skipped and counted.
 *
 * <p>Determinism: data order comes from the seed ({@link BatchOrder}) and the engine's random generator (dropout) is
 * re-seeded from (seed, update) before every update, so two runs with the same seed, data and machine give the same
 * losses, and a run resumed from a checkpoint continues exactly as if never stopped.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final CausalLM model;
    private final AdaptedModel adapter;
    private final TokenizedDataset data;
    private final TrainingOptions options;
    private final List<StepHook> hooks;
    private final long padId;

    /**
     * @param model the network the adapter is injected into
     * @param hooks run after every applied update, in order (for example {@code adapter.stepHooks()})
     * @param padId token id used for right padding (never reaches the loss)
     */
    public Trainer(CausalLM model, AdaptedModel adapter, TokenizedDataset data, TrainingOptions options,
            List<StepHook> hooks, long padId) {
        this.model = model;
        this.adapter = adapter;
        this.data = data;
        this.options = options;
        this.hooks = List.copyOf(hooks);
        this.padId = padId;
    }

    /** The outcome of {@link #train}. */
    public record Result(long steps, long skipped, double finalLoss, long tokens, double seconds) {}

    /**
     * Trains until the configured number of updates, appending to {@code run}'s metrics, checkpointing every
     * {@code saveEvery} updates and at the end; with {@code resume}, continues from the run's last checkpoint.
     *
     * @param listener called after every update (progress display)
     */
    public Result train(TrainingRun run, boolean resume, Consumer<StepMetrics> listener) throws IOException {
        Map<String, Parameter> parameters = namedTrainable();
        BatchOrder order = new BatchOrder(data.size(), options.batchSize(), options.seed());
        long totalSteps = options.totalSteps(order.batchesPerEpoch());
        long lastBatch = options.maxSteps() > 0 ? Long.MAX_VALUE : (long) options.epochs() * order.batchesPerEpoch();
        LinearSchedule schedule = new LinearSchedule(options.learningRate(), options.warmupSteps(), totalSteps);
        LossScaler scaler = options.lossScaling() ? LossScaler.dynamic() : LossScaler.disabled();
        NDManager manager = parameters.values().iterator().next().getArray().getManager();
        ParameterStore store = new ParameterStore(manager, false);
        try (AdamW optimizer = AdamW.withDefaults(parameters, options.weightDecay())) {
            long step = 0;
            long tokens = 0;
            Optional<Path> checkpoint = resume ? run.latestCheckpoint() : Optional.empty();
            if (checkpoint.isPresent()) {
                TrainingRun.State state = run.readState(checkpoint.get());
                requireSameSetup(state, checkpoint.get());
                run.restore(checkpoint.get(), state, adapter, optimizer);
                step = state.step();
                tokens = state.tokens();
                scaler.restore(state.lossScale(), state.goodSteps(), state.skipped());
                LOG.info("resumed from {} at step {} of {}", checkpoint.get(), step, totalSteps);
            } else if (run.hasHistory()) {
                throw new IllegalStateException(run.folder() + " already holds a run (metrics or checkpoints);"
                        + (resume ? " it has no complete checkpoint to resume from" : " use --resume to continue it")
                        + " or choose another output folder");
            }
            LOG.info("training {} examples, {} updates ({} micro-batches of {} per update), peak lr {}",
                    data.size(), totalSteps, options.gradientAccumulation(), options.batchSize(),
                    options.learningRate());
            long started = System.nanoTime();
            double loss = Double.NaN;
            while (step < totalSteps) {
                long stepStart = System.nanoTime();
                double lr = schedule.learningRate(step);
                Engine.getInstance().setRandomSeed(dropoutSeed(step));
                List<List<TrainingExample>> microBatches = new ArrayList<>();
                for (int i = 0; i < options.gradientAccumulation(); i++) {
                    long batch = step * options.gradientAccumulation() + i;
                    if (batch >= lastBatch) {
                        break; // the epochs' last update may have fewer micro-batches
                    }
                    microBatches.add(order.batch(batch).stream().map(data.examples()::get).toList());
                }
                long targets = microBatches.stream().mapToLong(Batch::countedTargets).sum();
                Accumulated pass = accumulate(microBatches, scaler.scale() / Math.max(1, targets), manager, store);
                loss = pass.lossSum() / Math.max(1, targets);
                if (scaler.enabled()) {
                    GradientClipping.scale(parameters.values(), 1 / scaler.scale());
                }
                double norm = GradientClipping.globalNorm(parameters.values());
                boolean finite = Double.isFinite(norm);
                if (scaler.update(finite)) {
                    if (options.maxGradNorm() > 0) {
                        GradientClipping.clip(parameters.values(), norm, options.maxGradNorm());
                    }
                    optimizer.step(lr);
                    for (StepHook hook : hooks) {
                        hook.afterUpdate(step + 1, (float) lr);
                    }
                } else {
                    LOG.warn("update {} skipped: non-finite gradient norm (loss scale now {})", step + 1,
                            scaler.scale());
                }
                GradientClipping.zero(parameters.values());
                step++;
                tokens += pass.tokens();
                double seconds = (System.nanoTime() - stepStart) / 1e9;
                Map<String, Number> hookMetrics = new LinkedHashMap<>();
                hooks.forEach(h -> hookMetrics.putAll(h.metrics()));
                double epoch = (double) (step * options.gradientAccumulation()) / order.batchesPerEpoch();
                StepMetrics metrics = new StepMetrics(step, totalSteps, epoch, loss, lr, norm, tokens,
                        pass.tokens() / seconds, scaler.skipped(), scaler.scale(), hookMetrics);
                run.append(metrics);
                listener.accept(metrics);
                if (step == totalSteps || options.saveEvery() > 0 && step % options.saveEvery() == 0) {
                    run.saveCheckpoint(new TrainingRun.State(step, optimizer.steps(), tokens, scaler.scale(),
                            scaler.goodSteps(), scaler.skipped(), data.size(), options), adapter, optimizer);
                }
            }
            run.saveAdapter(adapter);
            return new Result(step, scaler.skipped(), loss, tokens, (System.nanoTime() - started) / 1e9);
        }
    }

    /** The summed target cross-entropy and the tokens of one update's micro-batches. */
    private record Accumulated(double lossSum, long tokens) {}

    /**
     * Forward and backward of every micro-batch of one update, each in its own scope; the gradients of
     * {@code lossFactor}·(summed loss) accumulate in the parameters.
     */
    private Accumulated accumulate(List<List<TrainingExample>> microBatches, double lossFactor, NDManager manager,
            ParameterStore store) {
        double lossSum = 0;
        long tokens = 0;
        for (List<TrainingExample> examples : microBatches) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Batch batch = Batch.of(manager, examples, padId);
                try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(store, batch.inputIds(), batch.attentionMask(), null, true);
                    lossSum += CausalLmLoss.sumAndBackward(logits, batch.labels(), lossFactor);
                }
                tokens += batch.tokens();
            }
        }
        return new Accumulated(lossSum, tokens);
    }

    /**
     * A resumed run must train the same data the same way, or "the same results" would be meaningless; only the
     * checkpoint interval may change.
     */
    private void requireSameSetup(TrainingRun.State state, Path checkpoint) {
        if (state.examples() != data.size() || !state.options().withSaveEvery(0).equals(options.withSaveEvery(0))) {
            throw new IllegalStateException(checkpoint + ": saved by a run with " + state.examples() + " examples and "
                    + state.options() + "; this run has " + data.size() + " examples and " + options
                    + ": resume with the same data and options");
        }
    }

    /** The engine seed of update {@code step}: a fixed function of (seed, step), so a resumed run draws the same. */
    private int dropoutSeed(long step) {
        long mixed = options.seed() * 0x9E3779B97F4A7C15L + step;
        return (int) (mixed ^ (mixed >>> 32));
    }

    /** Trainable parameters by {@code module.tensor} (the key of their optimizer state). */
    private Map<String, Parameter> namedTrainable() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, AdapterLayer> layer : adapter.layers().entrySet()) {
            layer.getValue().tensors().forEach((name, p) -> {
                if (p.requiresGradient()) {
                    out.put(layer.getKey() + "." + name, p);
                }
            });
        }
        return out;
    }
}
