package ai.sara4j.djl.train.data;

/**
 * One tokenized training sequence: the prompt's tokens then the target's (ending with EOS unless truncated).
 * {@code labels} has the same length: the target tokens where the loss counts, {@link #IGNORE} on the prompt
 * (HF's convention; the loss shifts labels by one position itself).
 *
 * @param inputIds the token ids, prompt then target
 * @param labels the same length: the token id where the loss counts, {@link #IGNORE} elsewhere
 */
public record TrainingExample(long[] inputIds, long[] labels) {
    /** Label value of positions that do not count in the loss. */
    public static final long IGNORE = -100;

    /**
     * Checks the lengths.
     *
     * @param inputIds the token ids, prompt then target
     * @param labels the token id where the loss counts, {@link #IGNORE} elsewhere
     * @throws IllegalArgumentException when {@code inputIds} and {@code labels} differ in length
     */
    public TrainingExample {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("input ids and labels differ in length: " + inputIds.length + " vs "
                    + labels.length);
        }
    }

    /**
     * The sequence length.
     *
     * @return the number of tokens
     */
    public int length() {
        return inputIds.length;
    }

    /**
     * Number of positions whose label counts in the loss (before the causal shift: see
     * {@link Batch#countedTargets}).
     *
     * @return labels other than {@link #IGNORE}
     */
    public int targetTokens() {
        int n = 0;
        for (long label : labels) {
            if (label != IGNORE) {
                n++;
            }
        }
        return n;
    }
}
