package ai.sara4j.djl.adapter.mosara;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.LayerInit;
import ai.sara4j.djl.svd.EngineSvd;

/**
 * Mo-SARA around a frozen Linear (paper eq. 5, {@code h = xW0 + x·U_k(Σ g_i Λ_i)V_k·v}, written here in PyTorch
 * orientation with W0 = P·diag(σ)·Qᵀ):
 *
 * <pre>
 *   z  = dropout(x)·Q_k               (…, k)   projection on the top-k right singular vectors
 *   g  = softmax((z·w1)·w2)           (…, m)   token-level router
 *   Δy = ((z ⊙ (g·Λ))·P_kᵀ) ⊙ v       (…, out)
 * </pre>
 *
 * <p>Tensors: {@code mosara_P} P_k (out×k, frozen), {@code mosara_Q} Q_k (in×k, frozen) — the paper's U_k and V_k
 * are the singular vectors only; σ is replaced by the trainable Λ, so Q_k carries no singular values —
 * {@code mosara_lambda} Λ (m×k), {@code mosara_v} v (out, zeros: Δy = 0 at the start, the paper's choice),
 * {@code mosara_router.w1} (k×1), {@code mosara_router.w2} (1×m). Λ, w1, w2 are Kaiming-uniform (paper: "random
 * initialization follows the Kaiming uniform approach") with nn.Linear bounds 1/√k, 1/√k and 1. The frozen factors
 * are saved too: recomputing them from W0 could flip singular-vector signs on another device or library.
 *
 * <p>The router depends on the input, so ΔW is not a constant matrix: merging is refused. A {@link GateRecorder}
 * attached to the model receives every gate g the forward pass computes (the paper's routing maps, §5.8).
 */
public final class MoSaraLayer extends AdapterLayer {
    private final int k;
    private final Parameter p;
    private final Parameter q;
    private final Parameter lambda;
    private final Parameter v;
    private final Parameter w1;
    private final Parameter w2;
    /** The recorder the gates go to, or null (then recording costs nothing but this check). */
    private GateRecorder recorder;

    MoSaraLayer(Linear base, int k, int heads, double dropout, LayerInit init) {
        super(base, dropout);
        this.k = k;
        long out = baseShape()[0];
        long in = baseShape()[1];
        boolean random = init.fresh();
        if (random) {
            try (EngineSvd.Truncated svd = init.svd().truncated(baseWeight().getArray(), k);
                    NDArray qk = svd.vt().transpose()) {
                p = tensor("mosara_P", adopt(svd.u()), false); // out×k
                q = tensor("mosara_Q", adopt(qk), false); // in×k
            }
        } else {
            p = tensor("mosara_P", zeros(out, k), false);
            q = tensor("mosara_Q", zeros(in, k), false);
        }
        lambda = tensor("mosara_lambda", random ? kaimingUniform(init.random(), k, heads, k) : zeros(heads, k), true);
        v = tensor("mosara_v", zeros(out), true);
        w1 = tensor("mosara_router.w1", random ? kaimingUniform(init.random(), k, k, 1) : zeros(k, 1), true);
        w2 = tensor("mosara_router.w2", random ? kaimingUniform(init.random(), 1, 1, heads) : zeros(1, heads), true);
    }

    @Override
    protected NDArray delta(ParameterStore store, NDArray x, boolean training) {
        // The small factors are combined first, so the per-token work is three products and one softmax:
        // (z·w1)·w2 = z·(w1·w2), and ((z ⊙ s)·Pᵀ) ⊙ v = (z ⊙ s)·(Pᵀ ⊙ v) scales P's rows, not every token's output.
        NDArray router = value(store, w1, x, training).matMul(value(store, w2, x, training)); // (k, m)
        NDArray up = value(store, p, x, training).transpose().mul(value(store, v, x, training)); // (k, out)
        NDArray z = x.matMul(value(store, q, x, training)); // (…, k)
        NDArray gate = z.matMul(router).softmax(-1); // (…, m)
        if (recorder != null) {
            recorder.record(this, gate);
        }
        NDArray singular = gate.matMul(value(store, lambda, x, training)); // (…, k)
        return z.mul(singular).matMul(up); // (…, out)
    }

    /** The number m of singular-value vectors the router mixes. */
    int heads() {
        return Math.toIntExact(lambda.getArray().getShape().get(0));
    }

    GateRecorder recorder() {
        return recorder;
    }

    void setRecorder(GateRecorder value) {
        recorder = value;
    }

    @Override
    public int rank() {
        return k;
    }

    @Override
    public NDArray deltaWeight() {
        throw notMergeable();
    }

    @Override
    public NDList asLora() {
        throw notMergeable();
    }

    private static UnsupportedOperationException notMergeable() {
        return new UnsupportedOperationException("Mo-SARA cannot be merged or exported as LoRA: its router mixes "
                + "the singular-value vectors per token, so ΔW depends on the input and is not one fixed matrix");
    }
}
