package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.sara4j.djl.engine.TorchScriptModule;

/**
 * Fused ATen functions that DJL does not expose, each through a one-line {@link TorchScriptModule} whose
 * {@code forward} records autograd: one kernel with its own backward in place of several element-wise operations
 * and their intermediates. Each is compiled once per JVM ({@link TorchScriptModule#shared}).
 */
final class TorchFunctions {
    private static final String ATTENTION = "  def forward(self: __torch__.Attention, q: Tensor, k: Tensor,"
            + " v: Tensor, bias: Tensor) -> Tensor:\n"
            + "    return torch.scaled_dot_product_attention(q, k, v, bias, 0., False, scale=1.)\n";
    private static final String SILU = "  def forward(self: __torch__.Silu, x: Tensor) -> Tensor:\n"
            + "    return torch.silu(x)\n";

    private TorchFunctions() {}

    /**
     * softmax(q·kᵀ + bias)·v by torch's {@code scaled_dot_product_attention} (on CPU the flash kernel; with
     * {@code enable_gqa} libtorch 2.7.1 falls back to its slower math path, so key/value heads come repeated).
     *
     * @param q (B, H, T, D), already scaled by 1/√D
     * @param k (B, H, S, D)
     * @param v (B, H, S, D)
     * @param bias (B, 1, T, S) additive mask
     * @return (B, H, T, D), owned by q's manager
     */
    static NDArray scaledDotProductAttention(NDArray q, NDArray k, NDArray v, NDArray bias) {
        return TorchScriptModule.shared("Attention", ATTENTION).forwardRecorded(q, k, v, bias);
    }

    /** x·σ(x) by torch's {@code silu}. */
    static NDArray silu(NDArray x) {
        return TorchScriptModule.shared("Silu", SILU).forwardRecorded(x);
    }
}
