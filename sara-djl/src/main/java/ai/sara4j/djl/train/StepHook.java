package ai.sara4j.djl.train;

import java.util.Map;

/**
 * Work on the trainable parameters right after each optimizer update, outside the gradient: SoRA's proximal step on
 * its gates is one. The training loop calls every hook after every update and records their metrics with the
 * step's other metrics (in {@code metrics.jsonl}).
 */
@FunctionalInterface
public interface StepHook {

    /**
     * Called after the optimizer has applied update {@code step}.
     *
     * @param step the number of the update just applied, from 1
     * @param learningRate the learning rate that update used (after warm-up/decay scheduling)
     */
    void afterUpdate(long step, float learningRate);

    /**
     * Values to log for the step just done (for example the live rank per module); none by default.
     *
     * @return metric name → value, read after {@link #afterUpdate}
     */
    default Map<String, Number> metrics() {
        return Map.of();
    }
}
