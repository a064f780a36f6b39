package ai.sara4j.djl.train;

/**
 * How to train. Defaults ({@link #defaults}) are the SARA paper's recipe (its Tables 5–7): AdamW, linear schedule
 * with 100 warm-up steps, batch 16, 3 epochs, seed 42; weight decay 0 as LLM-Adapters' maths runs (the paper's E2E
 * table uses 0.01); global-norm clipping at 1.0 (transformers' Trainer default).
 *
 * @param learningRate peak learning rate (paper: 3e-3 SARA, 3e-4 LoRA, 3e-2 Mo-SARA)
 * @param epochs passes over the data; ignored when {@code maxSteps > 0}
 * @param maxSteps optimizer updates to run, or 0 to run {@code epochs}
 * @param batchSize examples per micro-batch
 * @param gradientAccumulation micro-batches per optimizer update
 * @param warmupSteps updates of linear warm-up
 * @param weightDecay AdamW's decoupled weight decay
 * @param maxGradNorm global-norm clipping threshold (0 or less: no clipping)
 * @param seed data order and dropout masks
 * @param saveEvery write a checkpoint every this many updates (0: only at the end)
 * @param lossScaling dynamic loss scaling (for an FP16 base on a GPU)
 */
public record TrainingOptions(double learningRate, int epochs, long maxSteps, int batchSize, int gradientAccumulation,
        long warmupSteps, double weightDecay, double maxGradNorm, long seed, long saveEvery, boolean lossScaling) {

    public TrainingOptions {
        if (epochs < 1 && maxSteps < 1) {
            throw new IllegalArgumentException("need epochs >= 1 or max steps >= 1");
        }
        if (batchSize < 1 || gradientAccumulation < 1) {
            throw new IllegalArgumentException("batch size and gradient accumulation must be >= 1");
        }
        if (warmupSteps < 0 || weightDecay < 0 || saveEvery < 0) {
            throw new IllegalArgumentException("warm-up, weight decay and save interval must be >= 0");
        }
    }

    /** The paper's recipe with the given peak learning rate. */
    public static TrainingOptions defaults(double learningRate) {
        return new TrainingOptions(learningRate, 3, 0, 16, 1, 100, 0.0, 1.0, 42, 0, false);
    }

    public TrainingOptions withMaxSteps(long value) {
        return new TrainingOptions(learningRate, epochs, value, batchSize, gradientAccumulation, warmupSteps,
                weightDecay, maxGradNorm, seed, saveEvery, lossScaling);
    }

    public TrainingOptions withBatch(int size, int accumulation) {
        return new TrainingOptions(learningRate, epochs, maxSteps, size, accumulation, warmupSteps, weightDecay,
                maxGradNorm, seed, saveEvery, lossScaling);
    }

    public TrainingOptions withWarmup(long value) {
        return new TrainingOptions(learningRate, epochs, maxSteps, batchSize, gradientAccumulation, value, weightDecay,
                maxGradNorm, seed, saveEvery, lossScaling);
    }

    public TrainingOptions withSaveEvery(long value) {
        return new TrainingOptions(learningRate, epochs, maxSteps, batchSize, gradientAccumulation, warmupSteps,
                weightDecay, maxGradNorm, seed, value, lossScaling);
    }

    public TrainingOptions withSeed(long value) {
        return new TrainingOptions(learningRate, epochs, maxSteps, batchSize, gradientAccumulation, warmupSteps,
                weightDecay, maxGradNorm, value, saveEvery, lossScaling);
    }

    public TrainingOptions withLossScaling(boolean value) {
        return new TrainingOptions(learningRate, epochs, maxSteps, batchSize, gradientAccumulation, warmupSteps,
                weightDecay, maxGradNorm, seed, saveEvery, value);
    }

    /** Optimizer updates for {@code batchesPerEpoch} micro-batches per epoch. */
    public long totalSteps(int batchesPerEpoch) {
        if (maxSteps > 0) {
            return maxSteps;
        }
        return ((long) epochs * batchesPerEpoch + gradientAccumulation - 1) / gradientAccumulation;
    }
}
