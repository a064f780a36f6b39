package ai.sara4j.djl.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimizer update did: a line of {@code metrics.jsonl}.
 *
 * @param step updates done, from 1
 * @param totalSteps updates the run will do
 * @param epoch fractional epoch at the end of this update
 * @param loss mean cross-entropy over the update's target tokens
 * @param learningRate the learning rate the update used
 * @param gradNorm global gradient norm before clipping (unscaled)
 * @param tokens tokens (padding excluded) seen by the run so far
 * @param tokensPerSecond this update's tokens over its wall time
 * @param skipped updates skipped so far for non-finite gradients
 * @param lossScale the loss scale after this update (1 without loss scaling)
 * @param hooks metrics of the step hooks, by name
 */
public record StepMetrics(long step, long totalSteps, double epoch, double loss, double learningRate, double gradNorm,
        long tokens, double tokensPerSecond, long skipped, double lossScale, Map<String, Number> hooks) {
    /**
     * Copies {@code hooks} into an unmodifiable map that keeps its order.
     *
     * @param step updates done, from 1
     * @param totalSteps updates the run will do
     * @param epoch fractional epoch at the end of this update
     * @param loss mean cross-entropy over the update's target tokens
     * @param learningRate the learning rate the update used
     * @param gradNorm global gradient norm before clipping (unscaled)
     * @param tokens tokens (padding excluded) seen by the run so far
     * @param tokensPerSecond this update's tokens over its wall time
     * @param skipped updates skipped so far for non-finite gradients
     * @param lossScale the loss scale after this update (1 without loss scaling)
     * @param hooks metrics of the step hooks, by name
     */
    public StepMetrics {
        hooks = Collections.unmodifiableMap(new LinkedHashMap<>(hooks));
    }
}
