package ai.sara4j.djl.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.sara4j.djl.engine.TorchScriptModule;

/**
 * torch's {@code scaled_dot_product_attention}, which DJL does not expose, through a {@link TorchScriptModule}: one
 * fused kernel with its own backward in place of matmul, softmax and matmul over (B, H, T, S) intermediates, and no
 * copies of the key/value heads for grouped-query attention. The module holds no tensors and runs on its inputs'
 * device, so one is compiled per JVM, on first use, and kept.
 */
final class FusedAttention {
    private static final String CODE = "  def forward(self: __torch__.Attention, q: Tensor, k: Tensor, v: Tensor,"
            + " bias: Tensor) -> Tensor:\n"
            + "    return torch.scaled_dot_product_attention(q, k, v, bias, 0., False, scale=1.)\n";

    private static TorchScriptModule module;

    private FusedAttention() {}

    /**
     * softmax(q·kᵀ + bias)·v.
     *
     * @param q (B, H, T, D), already scaled by 1/√D
     * @param k (B, KV, S, D) with H a multiple of KV
     * @param v (B, KV, S, D)
     * @param bias (B, 1, T, S) additive mask
     * @param training whether autograd records the call
     * @return (B, H, T, D), owned by q's manager
     */
    static NDArray apply(NDArray q, NDArray k, NDArray v, NDArray bias, boolean training) {
        return module().forward(training, q, k, v, bias).singletonOrThrow();
    }

    private static synchronized TorchScriptModule module() {
        if (module == null) {
            module = TorchScriptModule.compile(NDManager.newBaseManager(Device.cpu()), "Attention", CODE);
        }
        return module;
    }
}
