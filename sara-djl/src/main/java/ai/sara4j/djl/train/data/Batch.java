package ai.sara4j.djl.train.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A right-padded training batch on one device.
 *
 * @param inputIds (B, T) int64, padding filled with the pad id
 * @param attentionMask (B, T) int64, 1 for tokens and 0 for padding
 * @param labels (B, T) int64, {@link TrainingExample#IGNORE} on prompts and padding
 * @param tokens tokens in the batch (padding excluded)
 * @param targetTokens positions whose label counts (after the shift of the causal loss, see {@link #countedTargets})
 */
public record Batch(NDArray inputIds, NDArray attentionMask, NDArray labels, long tokens, long targetTokens) {

    /**
     * Pads {@code examples} on the right to the longest one. Right padding keeps positions 0..n-1 for every row,
     * as in training with transformers; the padding id never reaches the loss (its label is ignored).
     *
     * @param manager creates the three arrays (on its device); the caller closes them
     * @param examples the batch's examples, at least one
     * @param padId the token id put in padded positions (e.g. {@link ai.sara4j.djl.model.TextTokenizer#trainingPadId})
     * @return the batch, T being the longest example's length
     * @throws java.util.NoSuchElementException when {@code examples} is empty
     */
    public static Batch of(NDManager manager, List<TrainingExample> examples, long padId) {
        int b = examples.size();
        int t = examples.stream().mapToInt(TrainingExample::length).max().orElseThrow();
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        long[] labels = new long[b * t];
        long tokens = 0;
        for (int row = 0; row < b; row++) {
            TrainingExample e = examples.get(row);
            for (int col = 0; col < t; col++) {
                int at = row * t + col;
                boolean token = col < e.length();
                ids[at] = token ? e.inputIds()[col] : padId;
                mask[at] = token ? 1 : 0;
                labels[at] = token ? e.labels()[col] : TrainingExample.IGNORE;
            }
            tokens += e.length();
        }
        Shape shape = new Shape(b, t);
        return new Batch(manager.create(ids, shape), manager.create(mask, shape), manager.create(labels, shape),
                tokens, countedTargets(examples));
    }

    /**
     * Positions that count in the causal loss of {@code examples}: labels other than IGNORE at positions 1.. (the
     * label at position 0 has no earlier token to predict it from).
     *
     * @param examples the examples of a batch
     * @return the count, the denominator of the batch's mean loss
     */
    public static long countedTargets(List<TrainingExample> examples) {
        long n = 0;
        for (TrainingExample e : examples) {
            for (int col = 1; col < e.length(); col++) {
                if (e.labels()[col] != TrainingExample.IGNORE) {
                    n++;
                }
            }
        }
        return n;
    }
}
