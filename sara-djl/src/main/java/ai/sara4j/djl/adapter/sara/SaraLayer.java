package ai.sara4j.djl.adapter.sara;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.LayerInit;

/**
 * SARA around a frozen Linear: {@code y = base(x) + ((dropout(x)·Vᵀ) ⊙ λ)·Uᵀ}, i.e. ΔW = U·diag(λ)·V, no scaling
 * (λ is the learnable scale).
 *
 * <p>Tensors: {@code sara_U} U (out×k), {@code sara_lambda} λ (k), {@code sara_V} V (k×in). Initialisation
 * (paper: "Kaiming uniform"): U and V as nn.Linear weights (bound 1/√fan_in: 1/√k for U, 1/√in for V), λ as the
 * k×k diagonal of such a weight (bound 1/√k). With {@link SaraConfig.Init#ZERO} U starts at 0: ΔW = 0, while
 * ∂L/∂U = Gᵀ·(x·Vᵀ⊙λ) is non-zero, so training moves U first (λ = 0 instead would also give ΔW = 0).
 */
public final class SaraLayer extends AdapterLayer {
    private final int k;
    private final Parameter u;
    private final Parameter lambda;
    private final Parameter v;

    SaraLayer(Linear base, int k, SaraConfig.Init initKind, double dropout, LayerInit init) {
        super(base, dropout);
        this.k = k;
        long out = baseShape()[0];
        long in = baseShape()[1];
        boolean random = init.fresh();
        boolean randomU = random && initKind == SaraConfig.Init.RANDOM;
        u = tensor("sara_U", randomU ? kaimingUniform(init.random(), k, out, k) : zeros(out, k), true);
        lambda = tensor("sara_lambda", random ? kaimingUniform(init.random(), k, k) : zeros(k), true);
        v = tensor("sara_V", random ? kaimingUniform(init.random(), in, k, in) : zeros(k, in), true);
    }

    @Override
    protected NDArray delta(ParameterStore store, NDArray x, boolean training) {
        NDArray uu = value(store, u, x, training); // out×k
        NDArray l = value(store, lambda, x, training); // k
        NDArray vv = value(store, v, x, training); // k×in
        return x.matMul(vv.transpose()).mul(l).matMul(uu.transpose()); // (…, out)
    }

    @Override
    public int rank() {
        return k;
    }

    @Override
    public NDArray deltaWeight() {
        return u.getArray().mul(lambda.getArray()).matMul(v.getArray());
    }

    /** lora_A = V, lora_B = U·diag(λ): ΔW = lora_B·lora_A with scaling 1. */
    @Override
    public NDList asLora() {
        return new NDList(v.getArray().duplicate(), u.getArray().mul(lambda.getArray()));
    }
}
