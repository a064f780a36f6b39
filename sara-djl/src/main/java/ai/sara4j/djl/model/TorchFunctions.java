package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.sara4j.djl.engine.TorchScriptModule;

/**
 * Fused ATen functions that DJL does not expose, each through a one-line {@link TorchScriptModule} whose
 * {@code forward} records autograd: one kernel with its own backward in place of several element-wise operations
 * and their intermediates. Each is compiled once per JVM ({@link TorchScriptModule#shared}).
 */
final class TorchFunctions {
    private static final String MASKED = attention("MaskedAttention", ", mask: Tensor", "mask, 0., False");
    private static final String CAUSAL = attention("CausalAttention", "", "None, 0., True");
    private static final String FULL = attention("FullAttention", "", "None, 0., False");
    private static final String SILU = "  def forward(self: __torch__.Silu, x: Tensor) -> Tensor:\n"
            + "    return torch.silu(x)\n";

    private TorchFunctions() {}

    /**
     * softmax(q·kᵀ masked)·v by torch's {@code scaled_dot_product_attention}, in the inputs' dtype with the softmax
     * accumulated in float32 by the kernel. Key/value heads come repeated to the query heads: libtorch 2.7.1 has
     * {@code enable_gqa}, but on CPU it falls back to the slower math kernel.
     *
     * @param q (B, H, T, D), already scaled by 1/√D
     * @param k (B, H, S, D), q's dtype
     * @param v (B, H, S, D), q's dtype
     * @param allowed (B, 1, T, S) boolean, true where query i may attend to key j; every row must allow some key (a
     *     row with none gives NaN)
     * @return (B, H, T, D), owned by q's manager
     */
    static NDArray scaledDotProductAttention(NDArray q, NDArray k, NDArray v, NDArray allowed) {
        return TorchScriptModule.shared("MaskedAttention", MASKED).forwardRecorded(q, k, v, allowed);
    }

    /**
     * As {@link #scaledDotProductAttention(NDArray, NDArray, NDArray, NDArray)} without a mask argument, which on a
     * GPU lets torch pick the flash kernel (it takes no mask).
     *
     * @param q (B, H, T, D), already scaled by 1/√D
     * @param k (B, H, S, D), q's dtype
     * @param v (B, H, S, D), q's dtype
     * @param causal true: query i sees keys 0..i ({@code is_causal}, T = S); false: every query sees every key
     * @return (B, H, T, D), owned by q's manager
     */
    static NDArray scaledDotProductAttention(NDArray q, NDArray k, NDArray v, boolean causal) {
        return causal ? TorchScriptModule.shared("CausalAttention", CAUSAL).forwardRecorded(q, k, v)
                : TorchScriptModule.shared("FullAttention", FULL).forwardRecorded(q, k, v);
    }

    /** x·σ(x) by torch's {@code silu}. */
    static NDArray silu(NDArray x) {
        return TorchScriptModule.shared("Silu", SILU).forwardRecorded(x);
    }

    /** The body of module {@code name}: sdpa of q, k, v with the further arguments {@code maskDropoutCausal}. */
    private static String attention(String name, String maskParameter, String maskDropoutCausal) {
        return "  def forward(self: __torch__." + name + ", q: Tensor, k: Tensor, v: Tensor" + maskParameter
                + ") -> Tensor:\n"
                + "    return torch.scaled_dot_product_attention(q, k, v, " + maskDropoutCausal + ", scale=1.)\n";
    }
}
