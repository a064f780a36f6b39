package ai.sara4j.djl.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How to train: an immutable value made by {@link #builder()} (or {@link #toBuilder()} of another), checked when
 * built.
 *
 * <p>The defaults are the SARA paper's recipe (its Tables 5–7), stated once here: AdamW with a linear schedule,
 * learning rate 3e-3 (the paper's SARA rate; 3e-4 for LoRA, 3e-2 for Mo-SARA), 100 warm-up updates, batch 16 with no
 * accumulation, 3 epochs, seed 42; weight decay 0 as LLM-Adapters' maths runs (the paper's E2E table uses 0.01);
 * global-norm clipping at 1.0 (transformers' Trainer default); no label smoothing (the E2E table uses 0.1); no loss
 * scaling (turn it on for an FP16 base on a
 * GPU); a checkpoint only at the end of a run that has a run folder.
 *
 * <pre>{@code
 * TrainingOptions options = TrainingOptions.builder().learningRate(3e-4).maxSteps(500).batchSize(8).build();
 * }</pre>
 *
 * <p>A warm-up at least as long as the run is shortened by the {@link Trainer} (with a warning naming both numbers),
 * so that the learning rate reaches its peak; see {@link #warmupFor}.
 */
public final class TrainingOptions {
    private final double learningRate;
    private final int epochs;
    private final long maxSteps;
    private final int batchSize;
    private final int gradientAccumulation;
    private final long warmupSteps;
    private final double weightDecay;
    private final double maxGradNorm;
    private final long seed;
    private final long saveEvery;
    private final boolean lossScaling;
    private final boolean gradientCheckpointing;
    private final double labelSmoothing;

    private TrainingOptions(Builder b) {
        this.learningRate = b.learningRate;
        this.epochs = b.epochs;
        this.maxSteps = b.maxSteps == null ? 0 : b.maxSteps;
        this.batchSize = b.batchSize;
        this.gradientAccumulation = b.gradientAccumulation;
        this.warmupSteps = b.warmupSteps;
        this.weightDecay = b.weightDecay;
        this.maxGradNorm = b.maxGradNorm;
        this.seed = b.seed;
        this.saveEvery = b.saveEvery;
        this.lossScaling = b.lossScaling;
        this.gradientCheckpointing = b.gradientCheckpointing;
        this.labelSmoothing = b.labelSmoothing;
    }

    /**
     * A builder holding the paper's recipe (see the class comment).
     *
     * @return a new builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding these options, to derive changed ones.
     *
     * @return a new builder with this object's values
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.learningRate = learningRate;
        b.epochs = epochs;
        b.maxSteps = maxSteps > 0 ? maxSteps : null;
        b.batchSize = batchSize;
        b.gradientAccumulation = gradientAccumulation;
        b.warmupSteps = warmupSteps;
        b.weightDecay = weightDecay;
        b.maxGradNorm = maxGradNorm;
        b.seed = seed;
        b.saveEvery = saveEvery;
        b.lossScaling = lossScaling;
        b.gradientCheckpointing = gradientCheckpointing;
        b.labelSmoothing = labelSmoothing;
        return b;
    }

    /** {@return the peak learning rate} */
    public double learningRate() {
        return learningRate;
    }

    /** {@return the number of passes over the data; not used when {@link #maxSteps()} is set} */
    public int epochs() {
        return epochs;
    }

    /** {@return the optimizer updates to run, or 0 when the run is {@link #epochs()} passes over the data} */
    public long maxSteps() {
        return maxSteps;
    }

    /** {@return the number of examples per micro-batch} */
    public int batchSize() {
        return batchSize;
    }

    /** {@return the number of micro-batches per optimizer update} */
    public int gradientAccumulation() {
        return gradientAccumulation;
    }

    /** {@return the number of updates of linear warm-up, as asked (see {@link #warmupFor} for the one used)} */
    public long warmupSteps() {
        return warmupSteps;
    }

    /** {@return AdamW's decoupled weight decay} */
    public double weightDecay() {
        return weightDecay;
    }

    /** {@return the global-norm clipping threshold, 0 for no clipping} */
    public double maxGradNorm() {
        return maxGradNorm;
    }

    /** {@return the seed of the data order and the dropout masks} */
    public long seed() {
        return seed;
    }

    /** {@return the checkpoint interval in updates (0: only at the end); used only with a run folder} */
    public long saveEvery() {
        return saveEvery;
    }

    /** {@return whether dynamic loss scaling is on (for an FP16 base on a GPU)} */
    public boolean lossScaling() {
        return lossScaling;
    }

    /**
     * {@return whether the decoder layers' activations are recomputed in the backward pass instead of kept (gradient
     * checkpointing, see {@link CausalLmObjective#withGradientCheckpointing})}
     */
    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
    }

    /** {@return the label smoothing ε of the causal-LM loss, 0 for none (see {@link CausalLmLoss})} */
    public double labelSmoothing() {
        return labelSmoothing;
    }

    /**
     * Optimizer updates of a run over data of {@code batchesPerEpoch} micro-batches per epoch.
     *
     * @param batchesPerEpoch micro-batches in one pass over the data
     * @return {@link #maxSteps()} when set, else {@link #epochs()} times {@link #updatesPerEpoch}
     */
    public long totalSteps(int batchesPerEpoch) {
        if (maxSteps > 0) {
            return maxSteps;
        }
        return (long) epochs * updatesPerEpoch(batchesPerEpoch);
    }

    /**
     * Optimizer updates per pass over the data: as in transformers' Trainer, an update never takes micro-batches of
     * two epochs, so each epoch has ⌈batchesPerEpoch / gradientAccumulation⌉ updates, its last one with the
     * remaining micro-batches when the accumulation does not divide the epoch.
     *
     * @param batchesPerEpoch micro-batches in one pass over the data, &gt;= 1
     * @return the updates of one epoch
     */
    public long updatesPerEpoch(int batchesPerEpoch) {
        return (batchesPerEpoch + gradientAccumulation - 1) / gradientAccumulation;
    }

    /**
     * The warm-up a run of {@code totalSteps} updates uses: {@link #warmupSteps()}, unless that is not shorter than
     * the run, which would leave the learning rate on its ramp for the whole run and never at the peak the run was
     * asked for. Then it is a tenth of the run (rounded down; transformers' common {@code warmup_ratio} 0.1), so a
     * short run (for example {@code --max-steps 20} under the default warm-up of 100) still reaches the peak and
     * decays.
     *
     * @param totalSteps the updates of the run
     * @return the warm-up updates to use
     */
    public long warmupFor(long totalSteps) {
        return warmupSteps < totalSteps ? warmupSteps : totalSteps / 10;
    }

    /**
     * Every option that determines the trained result, by builder name ({@link #saveEvery()} is left out: it only
     * decides when checkpoints are written). A run folder's fingerprint holds these.
     *
     * @return option name to value, in a fixed order
     */
    public Map<String, String> settings() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("learningRate", Double.toString(learningRate));
        out.put("epochs", maxSteps > 0 ? "-" : Integer.toString(epochs));
        out.put("maxSteps", Long.toString(maxSteps));
        out.put("batchSize", Integer.toString(batchSize));
        out.put("gradientAccumulation", Integer.toString(gradientAccumulation));
        out.put("warmupSteps", Long.toString(warmupSteps));
        out.put("weightDecay", Double.toString(weightDecay));
        out.put("maxGradNorm", Double.toString(maxGradNorm));
        out.put("seed", Long.toString(seed));
        out.put("lossScaling", Boolean.toString(lossScaling));
        out.put("gradientCheckpointing", Boolean.toString(gradientCheckpointing));
        out.put("labelSmoothing", Double.toString(labelSmoothing));
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainingOptions other && settings().equals(other.settings()) && saveEvery == other.saveEvery
                && epochs == other.epochs;
    }

    @Override
    public int hashCode() {
        return Objects.hash(settings(), saveEvery, epochs);
    }

    @Override
    public String toString() {
        Map<String, String> all = settings();
        all.put("saveEvery", Long.toString(saveEvery));
        return "TrainingOptions" + all;
    }

    /** Thrown by {@link Builder#build()} for an option out of range; the message names the option. */
    public static final class InvalidOptionException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        /** The builder name of the option. */
        private final String option;
        /** What is wrong with its value. */
        private final String problem;

        InvalidOptionException(String option, String problem) {
            super(option + " " + problem);
            this.option = option;
            this.problem = problem;
        }

        /** {@return the builder name of the option (for example {@code maxSteps})} */
        public String option() {
            return option;
        }

        /** {@return what is wrong with its value (for example {@code must be >= 1, got 0})} */
        public String problem() {
            return problem;
        }
    }

    /** Collects options; {@link #build()} checks them. Every setter returns this builder. */
    public static final class Builder {
        private double learningRate = 3e-3;
        private int epochs = 3;
        private Long maxSteps;
        private int batchSize = 16;
        private int gradientAccumulation = 1;
        private long warmupSteps = 100;
        private double weightDecay = 0.0;
        private double maxGradNorm = 1.0;
        private long seed = 42;
        private long saveEvery = 0;
        private boolean lossScaling = false;
        private boolean gradientCheckpointing = false;
        private double labelSmoothing = 0.0;

        private Builder() {}

        /**
         * Sets the peak learning rate.
         *
         * @param value peak learning rate, finite and &gt; 0 (default 3e-3)
         * @return this builder
         */
        public Builder learningRate(double value) {
            this.learningRate = value;
            return this;
        }

        /**
         * Runs {@code value} passes over the data (and forgets {@link #maxSteps}).
         *
         * @param value passes, &gt;= 1 (default 3)
         * @return this builder
         */
        public Builder epochs(int value) {
            this.epochs = value;
            this.maxSteps = null;
            return this;
        }

        /**
         * Runs exactly {@code value} optimizer updates instead of epochs.
         *
         * @param value updates, &gt;= 1
         * @return this builder
         */
        public Builder maxSteps(long value) {
            this.maxSteps = value;
            return this;
        }

        /**
         * Sets the number of examples per micro-batch.
         *
         * @param value examples per micro-batch, &gt;= 1 (default 16)
         * @return this builder
         */
        public Builder batchSize(int value) {
            this.batchSize = value;
            return this;
        }

        /**
         * Sets the number of micro-batches per optimizer update.
         *
         * @param value micro-batches per optimizer update, &gt;= 1 (default 1)
         * @return this builder
         */
        public Builder gradientAccumulation(int value) {
            this.gradientAccumulation = value;
            return this;
        }

        /**
         * Sets the number of warm-up updates.
         *
         * @param value updates of linear warm-up, &gt;= 0 (default 100)
         * @return this builder
         */
        public Builder warmupSteps(long value) {
            this.warmupSteps = value;
            return this;
        }

        /**
         * Sets AdamW's decoupled weight decay.
         *
         * @param value AdamW's decoupled weight decay, finite and &gt;= 0 (default 0)
         * @return this builder
         */
        public Builder weightDecay(double value) {
            this.weightDecay = value;
            return this;
        }

        /**
         * Sets the global-norm clipping threshold.
         *
         * @param value global-norm clipping threshold, finite and &gt;= 0, 0 for none (default 1.0)
         * @return this builder
         */
        public Builder maxGradNorm(double value) {
            this.maxGradNorm = value;
            return this;
        }

        /**
         * Sets the seed of the data order and the dropout masks.
         *
         * @param value seed of the data order and the dropout masks (default 42)
         * @return this builder
         */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /**
         * Sets how often a checkpoint is written.
         *
         * @param value checkpoint every this many updates, &gt;= 0, 0 for only at the end (default 0)
         * @return this builder
         */
        public Builder saveEvery(long value) {
            this.saveEvery = value;
            return this;
        }

        /**
         * Sets whether the loss is dynamically scaled ({@link LossScaler}).
         *
         * @param value dynamic loss scaling, for an FP16 base on a GPU (default off)
         * @return this builder
         */
        public Builder lossScaling(boolean value) {
            this.lossScaling = value;
            return this;
        }

        /**
         * Sets whether the decoder layers' activations are recomputed during the backward pass (gradient, or
         * activation, checkpointing): memory for one layer's activations plus every layer's input instead of every
         * layer's activations, for about a third more compute; the gradients are those of the plain pass. Applies to
         * the causal-LM objective ({@code Trainer.Builder.data(TokenizedDataset)}).
         *
         * @param value whether to checkpoint (default off)
         * @return this builder
         */
        public Builder gradientCheckpointing(boolean value) {
            this.gradientCheckpointing = value;
            return this;
        }

        /**
         * Sets the label smoothing ε of the causal-LM loss (transformers' {@code label_smoothing_factor}; the SARA
         * paper's E2E recipe uses 0.1): each target token's loss becomes (1 − ε)·its cross-entropy + ε·the mean over
         * the vocabulary of −log p (see {@link CausalLmLoss}). Applies to the causal-LM objective
         * ({@code Trainer.Builder.data(TokenizedDataset)}).
         *
         * @param value ε, in [0, 1) (default 0: none)
         * @return this builder
         */
        public Builder labelSmoothing(double value) {
            this.labelSmoothing = value;
            return this;
        }

        /**
         * Checks every option and makes the options.
         *
         * @return the options
         * @throws InvalidOptionException naming the first option out of range
         */
        public TrainingOptions build() {
            if (!(Double.isFinite(learningRate) && learningRate > 0)) {
                throw new InvalidOptionException("learningRate", "must be finite and > 0, got " + learningRate);
            }
            if (maxSteps != null && maxSteps < 1) {
                throw new InvalidOptionException("maxSteps", "must be >= 1, got " + maxSteps);
            }
            if (epochs < 1) {
                throw new InvalidOptionException("epochs", "must be >= 1, got " + epochs);
            }
            if (batchSize < 1) {
                throw new InvalidOptionException("batchSize", "must be >= 1, got " + batchSize);
            }
            if (gradientAccumulation < 1) {
                throw new InvalidOptionException("gradientAccumulation", "must be >= 1, got " + gradientAccumulation);
            }
            if (warmupSteps < 0) {
                throw new InvalidOptionException("warmupSteps", "must be >= 0, got " + warmupSteps);
            }
            if (!(Double.isFinite(weightDecay) && weightDecay >= 0)) {
                throw new InvalidOptionException("weightDecay", "must be finite and >= 0, got " + weightDecay);
            }
            if (!(Double.isFinite(maxGradNorm) && maxGradNorm >= 0)) {
                throw new InvalidOptionException("maxGradNorm", "must be finite and >= 0, got " + maxGradNorm);
            }
            if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
                throw new InvalidOptionException("labelSmoothing", "must be in [0, 1), got " + labelSmoothing);
            }
            if (saveEvery < 0) {
                throw new InvalidOptionException("saveEvery", "must be >= 0, got " + saveEvery);
            }
            return new TrainingOptions(this);
        }
    }
}
