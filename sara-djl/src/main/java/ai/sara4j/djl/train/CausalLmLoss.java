package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.sara4j.djl.train.data.TrainingExample;

/**
 * The causal language-modelling loss as transformers computes it: the logits at position t predict the label at
 * t + 1; positions labelled {@link TrainingExample#IGNORE} (prompt, padding) do not count.
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
        NDArray predicting = logits.get(new NDIndex(":, :-1, :")); // (B, T-1, V)
        NDArray next = labels.get(new NDIndex(":, 1:")); // (B, T-1)
        NDArray counted = next.neq(TrainingExample.IGNORE);
        NDArray classes = next.mul(counted.toType(DataType.INT64, false)); // IGNORE → 0, masked out below
        NDArray logProbs = predicting.logSoftmax(-1);
        NDArray picked = logProbs.gather(classes.expandDims(-1), -1).squeeze(-1); // (B, T-1)
        return picked.mul(counted.toType(picked.getDataType(), false)).sum().neg();
    }
}
