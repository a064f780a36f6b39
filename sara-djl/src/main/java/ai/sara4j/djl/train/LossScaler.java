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

    /**
     * A scaler with GradScaler's defaults: scale 2¹⁶, growth ×2 every 2000 good steps, backoff ×0.5.
     *
     * @return the scaler
     */
    public static LossScaler dynamic() {
        return dynamic(65536, 2, 0.5, 2000);
    }

    /**
     * A scaler with GradScaler's parameters.
     *
     * @param initialScale the first scale ({@code init_scale}), &gt; 0
     * @param growthFactor multiplies the scale after {@code growthInterval} good updates, &gt; 1
     * @param backoffFactor multiplies the scale after an overflow, in (0, 1)
     * @param growthInterval good updates in a row before the scale grows, &gt; 0
     * @return the scaler
     * @throws IllegalArgumentException when a value is out of range
     */
    public static LossScaler dynamic(double initialScale, double growthFactor, double backoffFactor,
            int growthInterval) {
        return new LossScaler(true, initialScale, growthFactor, backoffFactor, growthInterval);
    }

    /**
     * A scaler that never scales (FP32 training) but still counts skipped updates.
     *
     * @return the scaler, its scale fixed at 1
     */
    public static LossScaler disabled() {
        return new LossScaler(false, 1, 2, 0.5, 1);
    }

    /**
     * Whether the scale adapts.
     *
     * @return true for {@link #dynamic()} scalers, false for {@link #disabled()}
     */
    public boolean enabled() {
        return enabled;
    }

    /**
     * The factor the loss is multiplied by before backward.
     *
     * @return the current scale (1 when disabled)
     */
    public double scale() {
        return scale;
    }

    /**
     * Updates skipped because of non-finite gradients so far.
     *
     * @return the count over the run, restored ones included
     */
    public long skipped() {
        return skipped;
    }

    /**
     * Good updates since the scale last changed (GradScaler's growth tracker).
     *
     * @return the count, below the growth interval
     */
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

    /**
     * Restores the state saved in a checkpoint, so that a resumed run scales as the uninterrupted one would.
     *
     * @param scale the saved {@link #scale()}
     * @param goodSteps the saved {@link #goodSteps()}
     * @param skipped the saved {@link #skipped()}
     */
    public void restore(double scale, int goodSteps, long skipped) {
        this.scale = scale;
        this.goodSteps = goodSteps;
        this.skipped = skipped;
    }
}
