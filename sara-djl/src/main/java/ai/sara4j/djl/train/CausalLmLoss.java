package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.sara4j.djl.train.data.TrainingExample;

/**
 * The causal language-modelling loss as transformers computes it: the logits at position t predict the label at
 * t + 1; positions labelled {@link TrainingExample#IGNORE} (prompt, padding) do not count.
 *
 * <p>Like transformers' {@code ForCausalLMLoss}, the labels are shifted (the last position gets IGNORE) rather than
 * the logits sliced: a slice of the (B, T, vocab) logits would cost a contiguous copy forward and, per sliced
 * axis, a zero-filled (B, T, vocab) gradient backward.
 */
public final class CausalLmLoss {
    private CausalLmLoss() {}

    /**
     * The summed cross-entropy over the counted positions (divide by their number, {@code Batch.targetTokens()}
     * summed over the accumulated batches, for the mean).
     *
     * @param logits (B, T, vocab) float32
     * @param labels (B, T) int64
     * @return a scalar float32
     */
    public static NDArray sum(NDArray logits, NDArray labels) {
        long b = labels.getShape().get(0);
        NDArray last = labels.getManager().full(new Shape(b, 1), TrainingExample.IGNORE, DataType.INT64);
        NDArray next = labels.get(new NDIndex(":, 1:")).concat(last, 1); // (B, T): the label each position predicts
        NDArray counted = next.neq(TrainingExample.IGNORE);
        NDArray classes = next.mul(counted.toType(DataType.INT64, false)); // IGNORE → 0, masked out below
        NDArray picked = logits.logSoftmax(-1).gather(classes.expandDims(-1), -1).squeeze(-1); // (B, T)
        return picked.mul(counted.toType(picked.getDataType(), false)).sum().neg();
    }
}
