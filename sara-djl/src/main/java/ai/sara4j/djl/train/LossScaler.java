package ai.sara4j.djl.train;

/**
 * Dynamic loss scaling for an FP16 base, as {@code torch.amp.GradScaler}: the loss is multiplied by {@link #scale()}
 * before backward so small FP16 gradients do not underflow; gradients are divided by it again before clipping. An
 * update whose gradients overflowed (inf or NaN) is skipped and the scale shrinks by {@code backoffFactor}; after
 * {@code growthInterval} good updates in a row it grows by {@code growthFactor}.
 *
 * <p>{@link #disabled()} (FP32 training) keeps the scale at 1; a non-finite gradient still skips the update, and
 * the trainer counts it.
 */
public final class LossScaler {
    private final boolean enabled;
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private double scale;
    private int goodSteps;
    private long skipped;

    private LossScaler(boolean enabled, double initialScale, double growthFactor, double backoffFactor,
            int growthInterval) {
        if (!(initialScale > 0 && growthFactor > 1 && backoffFactor > 0 && backoffFactor < 1 && growthInterval > 0)) {
            throw new IllegalArgumentException("loss scaler needs scale > 0, growth > 1, 0 < backoff < 1 and"
                    + " interval > 0");
        }
        this.enabled = enabled;
        this.scale = initialScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    /** GradScaler's defaults: scale 2¹⁶, growth ×2 every 2000 good steps, backoff ×0.5. */
    public static LossScaler dynamic() {
        return dynamic(65536, 2, 0.5, 2000);
    }

    public static LossScaler dynamic(double initialScale, double growthFactor, double backoffFactor,
            int growthInterval) {
        return new LossScaler(true, initialScale, growthFactor, backoffFactor, growthInterval);
    }

    /** No scaling (FP32). */
    public static LossScaler disabled() {
        return new LossScaler(false, 1, 2, 0.5, 1);
    }

    public boolean enabled() {
        return enabled;
    }

    /** The factor the loss is multiplied by before backward. */
    public double scale() {
        return scale;
    }

    /** Updates skipped because of non-finite gradients so far. */
    public long skipped() {
        return skipped;
    }

    /** Good updates since the scale last changed. */
    public int goodSteps() {
        return goodSteps;
    }

    /**
     * Records the outcome of one update attempt and adapts the scale.
     *
     * @param gradientsFinite whether the unscaled gradients were all finite
     * @return whether the optimizer may apply the update
     */
    public boolean update(boolean gradientsFinite) {
        if (!gradientsFinite) {
            skipped++;
            goodSteps = 0;
            if (enabled) {
                scale *= backoffFactor;
            }
            return false;
        }
        if (enabled && ++goodSteps == growthInterval) {
            scale *= growthFactor;
            goodSteps = 0;
        }
        return true;
    }

    /** Restores the state saved in a checkpoint. */
    public void restore(double scale, int goodSteps, long skipped) {
        this.scale = scale;
        this.goodSteps = goodSteps;
        this.skipped = skipped;
    }
}
