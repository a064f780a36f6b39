package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.sara4j.djl.engine.Scalars;
import java.util.Collection;

/**
 * Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_}: the L2 norm over all gradients together,
 * and when it exceeds {@code maxNorm} every gradient is multiplied by {@code maxNorm / (norm + 1e-6)}. (DJL's
 * {@code clipGrad} clips element-wise, which is a different thing.)
 */
public final class GradientClipping {
    private GradientClipping() {}

    /**
     * The global L2 norm of the gradients of {@code parameters}, computed in float64 (infinite or NaN when any
     * gradient is).
     *
     * @param parameters parameters whose gradients exist
     * @return √(Σ g²) over every element of every gradient
     */
    public static double globalNorm(Collection<Parameter> parameters) {
        return FusedUpdates.gradientNorm(parameters); // one engine call, not four per tensor
    }

    /**
     * Scales the gradients in place by {@code maxNorm / (norm + 1e-6)} when that is below 1, as
     * {@code clip_grad_norm_} does; otherwise leaves them.
     *
     * @param parameters parameters whose gradients exist
     * @param norm their {@link #globalNorm}, already computed
     * @param maxNorm the largest norm to allow ({@code max_grad_norm})
     */
    public static void clip(Collection<Parameter> parameters, double norm, double maxNorm) {
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1) {
            scale(parameters, coefficient);
        }
    }

    /**
     * Multiplies every gradient by {@code factor} in place (also used to unscale loss-scaled gradients). One engine
     * call per tensor: {@code _foreach_mul_} through TorchScript does the same per-tensor work and adds the call.
     *
     * @param parameters parameters whose gradients exist
     * @param factor the multiplier, e.g. the inverse of the loss scale
     */
    public static void scale(Collection<Parameter> parameters, double factor) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray scalar = null; // one 0-d tensor rather than one per muli(double) call
            for (Parameter p : parameters) {
                NDArray grad = p.getArray().getGradient();
                if (scalar == null) {
                    scalar = Scalars.like(grad, factor);
                }
                grad.muli(scalar);
            }
        }
    }

    /**
     * Sets every gradient to zero (DJL accumulates gradients across backward calls), also after an overflow: it is
     * PyTorch's {@code grad.zero_()}, not a subtraction that would keep NaN. (One cheap engine call per tensor, faster
     * than one TorchScript call of {@code _foreach_zero_}.)
     *
     * @param parameters parameters whose gradients exist
     */
    public static void zero(Collection<Parameter> parameters) {
        for (Parameter p : parameters) {
            JniUtils.zeroGrad((PtNDArray) p.getArray());
        }
    }
}
