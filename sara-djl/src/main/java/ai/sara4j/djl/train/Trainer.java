package ai.sara4j.djl.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.model.CausalLM;
import ai.sara4j.djl.train.TrainingObjective.MicroBatchLoss;
import ai.sara4j.djl.train.data.BatchOrder;
import ai.sara4j.djl.train.data.TokenizedDataset;
import ai.sara4j.djl.train.data.TrainingExample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the adapters of an {@link AdaptedModel}: a causal language model on a {@link TokenizedDataset}, or any
 * block on any examples with a {@link TrainingObjective} (for example {@link LossObjective} with a DJL loss).
 *
 * <pre>{@code
 * Trainer.Result result = Trainer.builder(adapted)
 *         .data(tokenizedDataset)                       // CausalLM: the causal-LM objective
 *         .options(TrainingOptions.builder().learningRate(3e-3).maxSteps(500).build())
 *         .onStep(m -> System.out.println(m.step() + " " + m.loss()))
 *         .build()
 *         .train();                                     // in memory; .runFolder(path) writes metrics, checkpoints
 * }</pre>
 *
 * <p>One optimizer update: {@code gradientAccumulation} micro-batches in the {@link BatchOrder} (fewer for the last
 * update of an epoch that the accumulation does not divide: as in transformers' Trainer, no update takes micro-batches
 * of two epochs, see {@link TrainingOptions#updatesPerEpoch}), each forward and backward inside its own
 * {@link NDScope} (nothing survives a micro-batch but the accumulated gradients); the loss is the summed loss divided
 * by the counted targets of the whole update (so accumulation equals one big batch, as transformers' Trainer with
 * {@code num_items_in_batch}); gradients are unscaled ({@link LossScaler}), their global norm taken and clipped, then {@link AdamW} applies the
 * {@link LinearSchedule}'s learning rate, every {@link StepHook} runs, and gradients are zeroed. An update with
 * non-finite gradients is skipped and counted; a run whose updates were all skipped fails and writes no adapter.
 *
 * <p>Determinism: data order comes from the seed ({@link BatchOrder}) and the engine's random generator (dropout) is
 * re-seeded from (seed, micro-batch number) before every micro-batch (the causal-LM objective then re-seeds it per
 * layer, see {@link CausalLM#forwardBackward}), so two runs with the same seed, data and machine give the same
 * losses, and a run resumed from a checkpoint continues exactly as if never stopped.
 *
 * <p>With a {@linkplain Builder#runFolder run folder} ({@link TrainingRun}): one writer at a time (a lock), a
 * fingerprint of every setting that determines the result, {@code metrics.jsonl}, checkpoints every {@code
 * saveEvery} updates and at the end (the newest {@code keepCheckpoints} kept), the final adapter; with {@link
 * Builder#resume} the run continues from its newest intact checkpoint, refused when any setting differs.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final AdaptedModel adapter;
    private final Source<?> source;
    private final TrainingOptions options;
    private final List<StepHook> hooks;
    private final Consumer<StepMetrics> listener;
    private final Path runFolder;
    private final boolean resume;
    private final int keepCheckpoints;
    private final Map<String, String> extraFingerprint;

    private Trainer(Builder b, Source<?> source) {
        this.adapter = b.adapter;
        this.source = source;
        this.options = b.options;
        this.hooks = b.hooks == null ? adapter.stepHooks() : List.copyOf(b.hooks);
        this.listener = b.listener;
        this.runFolder = b.runFolder;
        this.resume = b.resume;
        this.keepCheckpoints = b.keepCheckpoints;
        this.extraFingerprint = new LinkedHashMap<>(b.fingerprint);
    }

    /**
     * Starts a trainer of {@code adapter}'s trainable parameters.
     *
     * @param adapter the adapted model (its {@link AdaptedModel#model()} is the network run forward)
     * @return a builder; {@link Builder#data} is required
     */
    public static Builder builder(AdaptedModel adapter) {
        return new Builder(Objects.requireNonNull(adapter, "adapter"));
    }

    /**
     * The outcome of {@link #train}.
     *
     * @param steps updates done (counting those of a resumed run's earlier part)
     * @param skipped updates skipped for non-finite gradients
     * @param finalLoss the mean loss of the last update
     * @param tokens tokens (or examples) processed by the run
     * @param seconds wall time of this call
     */
    public record Result(long steps, long skipped, double finalLoss, long tokens, double seconds) {}

    /**
     * Trains until the configured number of updates. Without a run folder everything stays in memory; with one,
     * metrics, checkpoints and the final adapter are written there (see the class comment).
     *
     * @return what the run did
     * @throws IOException when the run folder cannot be written or read
     * @throws IllegalStateException when the run folder is held by another writer, already holds a run (without
     *     resume), holds one with other settings or no intact checkpoint (with resume), or when every update was
     *     skipped for non-finite gradients
     */
    public Result train() throws IOException {
        if (runFolder == null) {
            return train(null);
        }
        try (TrainingRun run = TrainingRun.open(runFolder)) {
            return train(run);
        }
    }

    private Result train(TrainingRun run) throws IOException {
        Map<String, Parameter> parameters = namedTrainable();
        BatchOrder order = new BatchOrder(source.size(), options.batchSize(), options.seed());
        long totalSteps = options.totalSteps(order.batchesPerEpoch());
        long warmup = options.warmupFor(totalSteps);
        if (warmup != options.warmupSteps()) {
            LOG.warn("warm-up of {} updates is not shorter than the run's {} updates: using {} (a tenth of the run)"
                    + " so that the learning rate reaches its peak", options.warmupSteps(), totalSteps, warmup);
        }
        LinearSchedule schedule = new LinearSchedule(options.learningRate(), warmup, totalSteps);
        LossScaler scaler = options.lossScaling() ? LossScaler.dynamic() : LossScaler.disabled();
        NDManager manager = parameters.values().iterator().next().getArray().getManager();
        ParameterStore store = new ParameterStore(manager, false);
        try (AdamW optimizer = AdamW.withDefaults(parameters, options.weightDecay())) {
            long step = 0;
            long tokens = 0;
            if (run != null) {
                Map<String, String> fingerprint = fingerprint();
                if (resume && run.hasHistory()) {
                    run.requireFingerprint(fingerprint);
                    if (run.checkpoints().isEmpty()) {
                        run.startOver();
                    } else {
                        TrainingRun.State state = run.restoreNewestIntact(adapter, optimizer);
                        step = state.step();
                        tokens = state.tokens();
                        scaler.restore(state.lossScale(), state.goodSteps(), state.skipped());
                        LOG.info("resumed at step {} of {}", step, totalSteps);
                    }
                } else if (run.hasHistory()) {
                    throw new IllegalStateException(run.folder() + " already holds a run (metrics, checkpoints or "
                            + TrainingRun.RUN_FILE + "): resume it (--resume) or choose another output folder");
                } else {
                    run.writeFingerprint(fingerprint);
                }
            }
            LOG.info("training {} examples, {} updates ({} micro-batches of {} per update), peak lr {}, warm-up {}",
                    source.size(), totalSteps, options.gradientAccumulation(), options.batchSize(),
                    options.learningRate(), warmup);
            long started = System.nanoTime();
            long firstStep = step;
            double loss = Double.NaN;
            while (step < totalSteps) {
                long stepStart = System.nanoTime();
                double lr = schedule.learningRate(step);
                long firstBatch = firstBatch(step, order);
                int count = microBatchCount(firstBatch, order);
                List<List<Integer>> microBatches = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    microBatches.add(order.batch(firstBatch + i));
                }
                long targets = 0;
                for (List<Integer> microBatch : microBatches) {
                    targets += source.countedTargets(microBatch);
                }
                double lossFactor = scaler.scale() / Math.max(1, targets);
                MicroBatchLoss pass = step == firstStep ? firstPass(microBatches, firstBatch, lossFactor, manager, store)
                        : accumulate(microBatches, firstBatch, lossFactor, manager, store);
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
                double epoch = (double) (firstBatch + count) / order.batchesPerEpoch();
                StepMetrics metrics = new StepMetrics(step, totalSteps, epoch, loss, lr, norm, tokens,
                        pass.tokens() / seconds, scaler.skipped(), scaler.scale(), hookMetrics);
                if (run != null) {
                    run.append(metrics);
                }
                listener.accept(metrics);
                if (run != null && (step == totalSteps || options.saveEvery() > 0 && step % options.saveEvery() == 0)) {
                    run.saveCheckpoint(new TrainingRun.State(step, optimizer.steps(), tokens, scaler.scale(),
                            scaler.goodSteps(), scaler.skipped()), adapter, optimizer, keepCheckpoints);
                }
            }
            if (step > 0 && scaler.skipped() >= step) {
                throw new IllegalStateException("all " + step + " updates were skipped for non-finite gradients (loss "
                        + loss + "): the adapter is untrained and was not saved; check the data, the learning rate"
                        + " and the model's dtype");
            }
            if (run != null) {
                run.saveAdapter(adapter);
            }
            return new Result(step, scaler.skipped(), loss, tokens, (System.nanoTime() - started) / 1e9);
        }
    }

    /**
     * The global number of the first micro-batch of update {@code step} (from 0): updates are counted per epoch, as
     * in transformers' Trainer, so that none takes micro-batches of two epochs.
     */
    private long firstBatch(long step, BatchOrder order) {
        long perEpoch = options.updatesPerEpoch(order.batchesPerEpoch());
        return step / perEpoch * order.batchesPerEpoch() + step % perEpoch * options.gradientAccumulation();
    }

    /** The micro-batches of the update starting at {@code firstBatch}: fewer at the end of an epoch. */
    private int microBatchCount(long firstBatch, BatchOrder order) {
        long leftInEpoch = order.batchesPerEpoch() - firstBatch % order.batchesPerEpoch();
        return (int) Math.min(options.gradientAccumulation(), leftInEpoch);
    }

    /**
     * Forward and backward of every micro-batch of one update, each in its own scope after seeding the engine's
     * generator from (seed, micro-batch number); the gradients of {@code lossFactor}·(summed loss) accumulate in the
     * parameters.
     */
    private MicroBatchLoss accumulate(List<List<Integer>> microBatches, long firstBatch, double lossFactor,
            NDManager manager, ParameterStore store) {
        double lossSum = 0;
        long tokens = 0;
        long batch = firstBatch;
        for (List<Integer> microBatch : microBatches) {
            Engine.getInstance().setRandomSeed(dropoutSeed(batch++));
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                    MicroBatchLoss pass = source.forwardBackward(store, manager, adapter.model(), microBatch,
                            lossFactor);
                    lossSum += pass.lossSum();
                    tokens += pass.tokens();
                }
            }
        }
        return new MicroBatchLoss(lossSum, tokens);
    }

    /**
     * The first update's micro-batches, checking that the forward pass reached every adapted module: an adapter
     * that is never called would train nothing. When no adapter at all is reached, backward fails first (libtorch's
     * "does not require grad"); the error then names the unreached module, with libtorch's message suppressed in it.
     */
    private MicroBatchLoss firstPass(List<List<Integer>> microBatches, long firstBatch, double lossFactor,
            NDManager manager, ParameterStore store) {
        adapter.resetReached();
        MicroBatchLoss pass;
        try {
            pass = accumulate(microBatches, firstBatch, lossFactor, manager, store);
        } catch (RuntimeException e) {
            try {
                adapter.requireAllReached();
            } catch (IllegalStateException unreached) {
                unreached.addSuppressed(e);
                throw unreached;
            }
            throw e;
        }
        adapter.requireAllReached();
        return pass;
    }

    /**
     * Everything that determines the trained result: the caller's {@link Builder#fingerprint} entries, the options
     * (all but the checkpoint interval), the adapter's configuration, the data and the model's configuration.
     */
    private Map<String, String> fingerprint() throws IOException {
        Map<String, String> out = new LinkedHashMap<>(extraFingerprint); // the caller's names first: most telling
        options.settings().forEach((k, v) -> out.put("options." + k, v));
        RunFingerprint.flattenJson("adapter", adapter.peftConfig().toJson(), out);
        out.put("data.examples", Integer.toString(source.size()));
        source.fingerprint().forEach((k, v) -> out.put("data." + k, v));
        if (adapter.model() instanceof CausalLM lm) {
            out.put("model.config", lm.config().toString());
        }
        return out;
    }

    /**
     * The engine seed of micro-batch number {@code batch} (counted over the run): a fixed function of (seed, batch),
     * so a resumed run draws the same.
     */
    private int dropoutSeed(long batch) {
        long mixed = options.seed() * 0x9E3779B97F4A7C15L + batch;
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

    /** The examples with their objective, addressed by index. */
    private record Source<E>(List<E> examples, TrainingObjective<E> objective, Map<String, String> identity) {
        int size() {
            return examples.size();
        }

        long countedTargets(List<Integer> indices) {
            return objective.countedTargets(pick(indices));
        }

        MicroBatchLoss forwardBackward(ParameterStore store, NDManager manager, Block model, List<Integer> indices,
                double lossFactor) {
            return objective.forwardBackward(store, manager, model, pick(indices), lossFactor);
        }

        Map<String, String> fingerprint() {
            return identity;
        }

        private List<E> pick(List<Integer> indices) {
            List<E> out = new ArrayList<>(indices.size());
            for (int i : indices) {
                out.add(examples.get(i));
            }
            return out;
        }
    }

    /** Collects what a {@link Trainer} needs; {@link #build()} checks it. Every setter returns this builder. */
    public static final class Builder {
        private final AdaptedModel adapter;
        private TokenizedDataset tokenized;
        private Long padTokenId;
        private List<?> examples;
        private TrainingObjective<?> objective;
        private TrainingOptions options = TrainingOptions.builder().build();
        private List<StepHook> hooks;
        private Consumer<StepMetrics> listener = m -> { };
        private Path runFolder;
        private boolean resume;
        private int keepCheckpoints = 2;
        private final Map<String, String> fingerprint = new LinkedHashMap<>();

        private Builder(AdaptedModel adapter) {
            this.adapter = adapter;
        }

        /**
         * Trains a {@link CausalLM} on tokenized (prompt, target) examples with the causal-LM objective
         * ({@link CausalLmObjective}); the data's tokens are part of the run's fingerprint.
         *
         * @param data the examples
         * @return this builder
         */
        public Builder data(TokenizedDataset data) {
            this.tokenized = Objects.requireNonNull(data, "data");
            this.examples = null;
            this.objective = null;
            return this;
        }

        /**
         * Trains on the caller's own examples and objective (any block, any loss; see {@link LossObjective}). The
         * examples' identity is not known to the trainer: give it with {@link #fingerprint} for a run folder.
         *
         * @param <E> one example
         * @param examples the examples, in a fixed order (the seed shuffles indices into them)
         * @param objective forward and backward of a micro-batch
         * @return this builder
         */
        public <E> Builder data(List<E> examples, TrainingObjective<? super E> objective) {
            this.examples = List.copyOf(examples);
            this.objective = Objects.requireNonNull(objective, "objective");
            this.tokenized = null;
            return this;
        }

        /**
         * The token id right padding is filled with, for {@link #data(TokenizedDataset)} (default: the model's
         * first {@code eos_token_id}, else 0; padding never reaches the loss).
         *
         * @param value the pad token id, &gt;= 0
         * @return this builder
         */
        public Builder padTokenId(long value) {
            this.padTokenId = value;
            return this;
        }

        /**
         * Sets the training options.
         *
         * @param value how to train (default: {@link TrainingOptions#builder()}'s paper recipe)
         * @return this builder
         */
        public Builder options(TrainingOptions value) {
            this.options = Objects.requireNonNull(value, "options");
            return this;
        }

        /**
         * Sets the hooks run after every applied update.
         *
         * @param value run after every applied update, in order (default: the adapter's
         *     {@link AdaptedModel#stepHooks()}, for example SoRA's proximal step)
         * @return this builder
         */
        public Builder hooks(List<StepHook> value) {
            this.hooks = List.copyOf(value);
            return this;
        }

        /**
         * Sets the listener called after every update with its metrics.
         *
         * @param value called after every update with its metrics (progress display, early logging)
         * @return this builder
         */
        public Builder onStep(Consumer<StepMetrics> value) {
            this.listener = Objects.requireNonNull(value, "onStep");
            return this;
        }

        /**
         * Writes the run into {@code folder} ({@link TrainingRun}: lock, fingerprint, metrics, checkpoints, final
         * adapter); without it the trainer keeps everything in memory.
         *
         * @param folder the run folder (created when missing)
         * @return this builder
         */
        public Builder runFolder(Path folder) {
            this.runFolder = folder;
            return this;
        }

        /**
         * Continue the run in the {@link #runFolder} from its newest intact checkpoint (refused when any setting
         * of the fingerprint differs); an empty folder starts a new run, a run stopped before its first checkpoint
         * starts over.
         *
         * @param value whether to resume
         * @return this builder
         */
        public Builder resume(boolean value) {
            this.resume = value;
            return this;
        }

        /**
         * Sets how many checkpoints are kept in the run folder.
         *
         * @param value checkpoints kept in the run folder, newest first, &gt;= 1 (default 2, so that a damaged
         *     newest one leaves an older to resume from)
         * @return this builder
         */
        public Builder keepCheckpoints(int value) {
            this.keepCheckpoints = value;
            return this;
        }

        /**
         * Adds a setting to the run's fingerprint, for what the trainer cannot see itself (the data file, the
         * model's files, the tokenizer's maximum length); a resume with another value is refused naming it.
         *
         * @param name the setting's name
         * @param value its value
         * @return this builder
         */
        public Builder fingerprint(String name, String value) {
            this.fingerprint.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Checks the set-up and makes the trainer.
         *
         * @return the trainer
         * @throws IllegalArgumentException when no data was given, the data is empty, the tokenized data's model is
         *     not a {@code CausalLM}, the pad id is negative, gradient checkpointing or label smoothing is asked of
         *     your own objective, {@code keepCheckpoints < 1}, or resume has no run folder
         */
        public Trainer build() {
            if (keepCheckpoints < 1) {
                throw new IllegalArgumentException("keepCheckpoints must be >= 1, got " + keepCheckpoints);
            }
            if (resume && runFolder == null) {
                throw new IllegalArgumentException("resume needs a run folder (runFolder)");
            }
            if (adapter.trainableParameters().isEmpty()) {
                throw new IllegalArgumentException("the adapter has no trainable parameters");
            }
            return new Trainer(this, source());
        }

        private Source<?> source() {
            if (tokenized != null) {
                if (!(adapter.model() instanceof CausalLM lm)) {
                    throw new IllegalArgumentException("tokenized data trains a CausalLM; this adapter's model is a "
                            + adapter.model().getClass().getName() + ": use data(examples, objective)");
                }
                long pad = padTokenId != null ? padTokenId : lm.config().eosTokenIds().stream().findFirst().orElse(0L);
                if (pad < 0) {
                    throw new IllegalArgumentException("padTokenId must be >= 0, got " + pad);
                }
                requireExamples(tokenized.size());
                return new Source<TrainingExample>(tokenized.examples(),
                        CausalLmObjective.padding(pad).withGradientCheckpointing(options.gradientCheckpointing())
                                .withLabelSmoothing(options.labelSmoothing()),
                        Map.of("tokens", RunFingerprint.examples(tokenized.examples())));
            }
            if (examples == null) {
                throw new IllegalArgumentException("no training data: call data(...)");
            }
            if (options.gradientCheckpointing()) {
                throw new IllegalArgumentException("the gradientCheckpointing option applies to data(TokenizedDataset);"
                        + " with your own objective checkpoint inside it (CausalLmObjective.withGradientCheckpointing)");
            }
            if (options.labelSmoothing() != 0) {
                throw new IllegalArgumentException("the labelSmoothing option applies to data(TokenizedDataset);"
                        + " with your own objective smooth inside it (CausalLmObjective.withLabelSmoothing)");
            }
            requireExamples(examples.size());
            return source(examples, objective);
        }

        @SuppressWarnings("unchecked")
        private static <E> Source<E> source(List<?> examples, TrainingObjective<?> objective) {
            return new Source<>((List<E>) examples, (TrainingObjective<E>) objective, Map.of());
        }

        private static void requireExamples(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("no training examples");
            }
        }
    }
}
