package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.sara4j.djl.engine.Scalars;
import ai.sara4j.djl.engine.TorchScriptModule;
import ai.sara4j.djl.train.data.TrainingExample;
import java.util.List;

/**
 * The causal language-modelling loss as transformers computes it: the logits at position t predict the label at
 * t + 1; positions labelled {@link TrainingExample#IGNORE} (prompt, padding) do not count.
 *
 * <p>Like transformers' {@code ForCausalLMLoss}, the labels are shifted (the last position gets IGNORE) rather than
 * the logits sliced: a slice of the (B, T, vocab) logits would cost a contiguous copy forward and, per sliced
 * axis, a zero-filled (B, T, vocab) gradient backward.
 *
 * <p>Training uses {@link #sumAndBackward}: the gradient of the cross-entropy with respect to the logits is
 * softmax − one-hot, so it is computed in the same pass as the loss and the backward pass starts from the logits.
 * Autograd through log_softmax and the gather would write a zero-filled (B, T, vocab) tensor and make two more
 * passes over it; on tinystories-656k (vocabulary 2048, 8 × 128 tokens) that took 22 ms against 7 ms (one thread).
 *
 * <p>With label smoothing ε (the SARA paper's E2E recipe; transformers' {@code label_smoothing_factor}) each counted
 * position's loss is torch's {@code cross_entropy(label_smoothing=ε)}: (1 − ε)·(−log p[label]) + ε·(the mean over
 * the vocabulary of −log p), whose gradient with respect to the logits is softmax − ((1 − ε)·one-hot + ε/V).
 * transformers' {@code LabelSmoother} computes the same per-position terms (its smoothed term is summed over the
 * vocabulary and divided by V times the counted positions); the positions are summed here and divided by the counted
 * positions of the whole update, as the unsmoothed loss is, rather than per micro-batch as {@code LabelSmoother} does.
 * ε = 0 runs the unsmoothed computation unchanged.
 */
public final class CausalLmLoss {
    /**
     * Serialized TorchScript (dtypes as ints); the log-probabilities' buffer becomes the gradient in place.
     * {@code forward} is the plain loss, {@code smoothed} the label-smoothed one.
     */
    private static final String CODE = """
              def forward(self: __torch__.CausalLmLoss, logits: Tensor, next: Tensor, factor: float) \
            -> Tuple[Tensor, Tensor]:
                counted = torch.ne(next, %1$d)
                classes = torch.unsqueeze(torch.mul(next, counted), -1)
                weights = torch.to(torch.unsqueeze(counted, -1), ops.prim.dtype(logits))
                logp = torch.log_softmax(logits, -1, None)
                picked = torch.gather(logp, -1, classes)
                loss = torch.neg(torch.sum(torch.mul(picked, weights)))
                grad = torch.exp_(logp)
                grad = torch.scatter_add_(grad, -1, classes, torch.neg(torch.ones_like(picked)))
                grad = torch.mul_(grad, torch.mul(weights, factor))
                return (loss, grad)
              def smoothed(self: __torch__.CausalLmLoss, logits: Tensor, next: Tensor, factor: float, \
            smoothing: float) -> Tuple[Tensor, Tensor]:
                counted = torch.ne(next, %1$d)
                classes = torch.unsqueeze(torch.mul(next, counted), -1)
                weights = torch.to(torch.unsqueeze(counted, -1), ops.prim.dtype(logits))
                logp = torch.log_softmax(logits, -1, None)
                picked = torch.gather(logp, -1, classes)
                spread = torch.mean(logp, [-1], True)
                mixed = torch.add(torch.mul(picked, 1. - smoothing), torch.mul(spread, smoothing))
                loss = torch.neg(torch.sum(torch.mul(mixed, weights)))
                grad = torch.exp_(logp)
                grad = torch.sub_(grad, smoothing / torch.size(logits, -1))
                grad = torch.scatter_add_(grad, -1, classes, torch.full_like(picked, smoothing - 1.))
                grad = torch.mul_(grad, torch.mul(weights, factor))
                return (loss, grad)
            """.formatted(TrainingExample.IGNORE);

    private CausalLmLoss() {}

    /**
     * The summed cross-entropy over the counted positions (divide by their number, {@code Batch.targetTokens()}
     * summed over the accumulated batches, for the mean), differentiable by autograd.
     *
     * @param logits (B, T, vocab) float32
     * @param labels (B, T) int64
     * @return a scalar float32
     */
    public static NDArray sum(NDArray logits, NDArray labels) {
        return sum(logits, labels, 0);
    }

    /**
     * The summed label-smoothed cross-entropy over the counted positions (see the class comment), differentiable by
     * autograd; {@code smoothing} 0 is {@link #sum(NDArray, NDArray)}.
     *
     * @param logits (B, T, vocab) float32
     * @param labels (B, T) int64
     * @param smoothing ε in [0, 1)
     * @return a scalar float32
     */
    public static NDArray sum(NDArray logits, NDArray labels, double smoothing) {
        NDArray next = nextLabels(labels);
        NDArray counted = next.neq(TrainingExample.IGNORE);
        NDArray classes = next.mul(counted.toType(DataType.INT64, false)); // IGNORE → 0, masked out below
        NDArray logp = logits.logSoftmax(-1);
        NDArray picked = logp.gather(classes.expandDims(-1), -1).squeeze(-1); // (B, T)
        if (smoothing != 0) {
            picked = picked.mul(Scalars.like(picked, 1 - smoothing))
                    .add(logp.mean(new int[] {-1}).mul(Scalars.like(picked, smoothing)));
        }
        return picked.mul(counted.toType(picked.getDataType(), false)).sum().neg();
    }

    /**
     * The summed cross-entropy ({@link #sum}'s value) and the backward pass of {@code factor}·loss from the logits
     * into the graph that produced them (gradients accumulate as after {@code backward}). Call it where the logits'
     * graph was recorded, once per forward pass.
     *
     * @param logits (B, T, vocab) float32, recorded by autograd
     * @param labels (B, T) int64
     * @param factor multiplies the loss whose gradient is taken (e.g. 1/targetTokens times the loss scale)
     * @return the summed loss
     */
    public static double sumAndBackward(NDArray logits, NDArray labels, double factor) {
        return sumAndBackward(logits, labels, 0, factor);
    }

    /**
     * The summed label-smoothed cross-entropy ({@link #sum(NDArray, NDArray, double)}'s value) and the backward pass
     * of {@code factor}·loss from the logits, its gradient softmax − ((1 − ε)·one-hot + ε/V) computed in closed form
     * as for {@link #sumAndBackward(NDArray, NDArray, double)}, which {@code smoothing} 0 runs unchanged.
     *
     * @param logits (B, T, vocab) float32, recorded by autograd
     * @param labels (B, T) int64
     * @param smoothing ε in [0, 1)
     * @param factor multiplies the loss whose gradient is taken (e.g. 1/targetTokens times the loss scale)
     * @return the summed loss
     */
    public static double sumAndBackward(NDArray logits, NDArray labels, double smoothing, double factor) {
        TorchScriptModule module = TorchScriptModule.shared("CausalLmLoss", CODE);
        NDArray next = nextLabels(labels);
        List<NDArray> lossAndGradient = smoothing == 0 ? module.run("forward", logits, next, factor)
                : module.run("smoothed", logits, next, factor, smoothing);
        JniUtils.backward((PtNDArray) logits, (PtNDArray) lossAndGradient.get(1), false, false);
        return lossAndGradient.get(0).getFloat();
    }

    /** (B, T): the label each position predicts, IGNORE at the last position. */
    private static NDArray nextLabels(NDArray labels) {
        long b = labels.getShape().get(0);
        NDArray last = labels.getManager().full(new Shape(b, 1), TrainingExample.IGNORE, DataType.INT64);
        return labels.get(new NDIndex(":, 1:")).concat(last, 1);
    }
}
