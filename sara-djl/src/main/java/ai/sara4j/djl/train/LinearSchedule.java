package ai.sara4j.djl.train;

/**
 * Linear warm-up from 0 to the peak learning rate over {@code warmupSteps} updates, then linear decay to 0 at
 * {@code totalSteps}: transformers' {@code get_linear_schedule_with_warmup}, the schedule of the SARA paper. As
 * there, update number {@code step} (from 0) uses {@code peak · factor(step)}, so with warm-up the very first
 * update has learning rate 0.
 *
 * @param peak the learning rate reached at the end of warm-up, &gt; 0
 * @param warmupSteps updates of linear warm-up, &gt;= 0 (0 starts at the peak)
 * @param totalSteps updates of the whole run, &gt;= 1; the rate reaches 0 there
 */
public record LinearSchedule(double peak, long warmupSteps, long totalSteps) {
    /**
     * Checks the values.
     *
     * @param peak the learning rate reached at the end of warm-up, &gt; 0
     * @param warmupSteps updates of linear warm-up, &gt;= 0
     * @param totalSteps updates of the whole run, &gt;= 1
     * @throws IllegalArgumentException when {@code peak} is not &gt; 0, {@code warmupSteps} &lt; 0 or
     *     {@code totalSteps} &lt; 1
     */
    public LinearSchedule {
        if (!(peak > 0)) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + peak);
        }
        if (warmupSteps < 0 || totalSteps < 1) {
            throw new IllegalArgumentException("need warm-up >= 0 and total steps >= 1, got " + warmupSteps + " and "
                    + totalSteps);
        }
    }

    /**
     * The learning rate of an update.
     *
     * @param step the 0-based count of updates already applied
     * @return {@code peak · step / warmupSteps} during warm-up, then
     *     {@code peak · max(0, (totalSteps − step) / (totalSteps − warmupSteps))}
     */
    public double learningRate(long step) {
        if (step < warmupSteps) {
            return peak * step / Math.max(1, warmupSteps);
        }
        return peak * Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    }
}
