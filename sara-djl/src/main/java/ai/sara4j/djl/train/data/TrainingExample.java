package ai.sara4j.djl.train.data;

/**
 * One tokenized training sequence: the prompt's tokens then the target's (ending with EOS unless truncated).
 * {@code labels} has the same length: the target tokens where the loss counts, {@link #IGNORE} on the prompt
 * (HF's convention; the loss shifts labels by one position itself).
 */
public record TrainingExample(long[] inputIds, long[] labels) {
    /** Label value of positions that do not count in the loss. */
    public static final long IGNORE = -100;

    public TrainingExample {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("input ids and labels differ in length: " + inputIds.length + " vs "
                    + labels.length);
        }
    }

    public int length() {
        return inputIds.length;
    }

    /** Number of positions whose label counts in the loss. */
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
