package ai.sara4j.djl.adapter.edora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.LayerInit;
import ai.sara4j.djl.engine.DifferentiableCast;
import ai.sara4j.djl.engine.Scalars;
import ai.sara4j.djl.svd.EngineSvd;
import java.util.Optional;

/**
 * EDoRA around a frozen Linear (W0 out×in = P·diag(σ)·Qᵀ):
 *
 * <pre>
 *   V  = W0 + s·B·R·A                       direction, never formed in the forward pass
 *   n  = ‖V‖ per output row, detached        (DoRA §4.3: treated as a constant in the backward pass)
 *   W' = (m / n) ⊙ V                         the adapted weight
 *   Δy = (m/n − 1) ⊙ (x·W0ᵀ) + (m/n) ⊙ s·((x·Aᵀ)·Rᵀ)·Bᵀ     so that base(x) + Δy = x·W'ᵀ + bias
 * </pre>
 *
 * <p>Tensors: {@code edora_A} A = diag(σ_r)·Q_rᵀ (r×in, frozen) and {@code edora_B} B = P_r (out×r, frozen) from the
 * truncated SVD of W0 (the injection's {@link EngineSvd}, on W0's device), as the EDoRA code's {@code get_linear_rec_svd};
 * {@code edora_R} R (r×r, N(0, σ²) with σ = 1e-5 by default, the code's {@code init_module_weights}) and
 * {@code edora_magnitude} m (out, ‖W0‖ per row: EDoRA starts from a PEFT DoRA module, whose magnitude is the row
 * norm of W0 with the zero-initialised lora_B, before swapping in the SVD factors). The frozen factors are saved
 * with the adapter: recomputing them could flip singular-vector signs.
 *
 * <p>n² is expanded so that no out×in matrix other than W0 is touched: with C = W0·Aᵀ (out×r) and G = A·Aᵀ (r×r),
 * {@code n² = ‖W0‖²_row + 2s·rowsum((C·Rᵀ) ⊙ B) + s²·rowsum((B·R·G·Rᵀ) ⊙ B)}.
 *
 * <p>Exactly a PEFT DoRA adapter with lora_A = A, lora_B = s·B·R (scaling 1) and lora_magnitude_vector = m.
 */
public final class EdoraLayer extends AdapterLayer {
    private final int r;
    private final double scaling;
    private final Parameter a;
    private final Parameter b;
    private final Parameter latent;
    private final Parameter magnitude;

    EdoraLayer(Linear base, int r, double scaling, double initSigma, double dropout, LayerInit init) {
        super(base, dropout);
        this.r = r;
        this.scaling = scaling;
        long out = baseShape()[0];
        long in = baseShape()[1];
        if (init.fresh()) {
            try (NDArray w0 = baseWeight().getArray().toType(adapterType(), true);
                    EngineSvd.Truncated t = init.svd().truncated(w0, r);
                    NDArray scaledVt = t.vt().mul(t.s().expandDims(1))) {
                a = tensor("edora_A", adopt(scaledVt), false); // diag(σ_r)·Q_rᵀ
                b = tensor("edora_B", adopt(t.u()), false); // P_r
                latent = tensor("edora_R", normal(init.random(), initSigma, r, r), true);
                magnitude = tensor("edora_magnitude", w0.norm(new int[] {1}), true);
            }
        } else {
            a = tensor("edora_A", zeros(r, in), false);
            b = tensor("edora_B", zeros(out, r), false);
            latent = tensor("edora_R", zeros(r, r), true);
            magnitude = tensor("edora_magnitude", zeros(out), true);
        }
    }

    @Override
    protected NDArray delta(ParameterStore store, NDArray x, boolean training) {
        return delta(store, x, null, training);
    }

    @Override
    protected NDArray delta(ParameterStore store, NDArray x, NDArray baseOutput, boolean training) {
        NDArray weight = value(store, baseWeight(), x, training); // W0, out×in, base dtype
        NDArray w0 = weight.toType(adapterType(), false); // the same array unless the base is FP16
        NDArray aa = value(store, a, x, training); // r×in
        NDArray bb = value(store, b, x, training); // out×r
        NDArray rr = value(store, latent, x, training); // r×r
        NDArray m = value(store, magnitude, x, training); // out
        NDArray scale = m.div(rowNorm(w0, aa, bb, rr.stopGradient())); // m/n (out), n detached
        // x·W0ᵀ (…, out): the base layer's output without its bias; when dropout changed x (PEFT's DoRA does the
        // same), the product again on the dropped-out x, in the base dtype, so that an FP16 base keeps no FP32 copy
        // of W0 for the backward pass
        NDArray baseOut = baseOutput != null ? withoutBias(store, baseOutput, training)
                : DifferentiableCast.to(DifferentiableCast.to(x, weight.getDataType()).matMul(weight.transpose()),
                        adapterType());
        NDArray low = x.matMul(aa.transpose()).matMul(rr.transpose()).matMul(bb.transpose())
                .mul(Scalars.like(x, scaling));
        return baseOut.mul(scale.sub(1)).add(low.mul(scale)); // (…, out)
    }

    /** base(x) − bias in the adapter dtype. */
    private NDArray withoutBias(ParameterStore store, NDArray baseOutput, boolean training) {
        NDArray out = DifferentiableCast.to(baseOutput, adapterType());
        Parameter bias = base().getParameters().get("bias");
        return bias == null ? out : out.sub(value(store, bias, out, training).toType(adapterType(), false));
    }

    /** ‖W0 + s·B·R·A‖ per output row (out) through the expansion in the class comment. */
    NDArray rowNorm(NDArray w0, NDArray aa, NDArray bb, NDArray rr) {
        NDArray c = w0.matMul(aa.transpose()).matMul(rr.transpose()); // W0·Aᵀ·Rᵀ, out×r
        NDArray brg = bb.matMul(rr).matMul(aa.matMul(aa.transpose())).matMul(rr.transpose()); // B·R·A·Aᵀ·Rᵀ, out×r
        NDArray squared = w0.square().sum(new int[] {1})
                .add(c.mul(bb).sum(new int[] {1}).mul(Scalars.like(c, 2 * scaling)))
                .add(brg.mul(bb).sum(new int[] {1}).mul(Scalars.like(brg, scaling * scaling)));
        return squared.maximum(Scalars.like(squared, 0)).sqrt();
    }

    /**
     * The current row norms ‖W0 + s·B·R·A‖ of this layer, by the expansion.
     *
     * @return a new array (out) the caller closes
     */
    public NDArray rowNorm() {
        try (NDScope scope = new NDScope()) {
            NDArray norm = rowNorm(baseW0(), a.getArray(), b.getArray(), latent.getArray());
            NDScope.unregister(norm);
            return norm;
        }
    }

    @Override
    public int rank() {
        return r;
    }

    /**
     * The scaling s = alpha/r.
     *
     * @return s
     */
    public double scaling() {
        return scaling;
    }

    /**
     * W' − W0, formed directly: V = W0 + s·B·R·A, W' = (m/‖V‖_row) ⊙ V, with W0 the unmerged base weight (the copy
     * kept while merged).
     *
     * @return a new array the caller closes
     */
    @Override
    public NDArray deltaWeight() {
        try (NDScope scope = new NDScope()) {
            NDArray w0 = baseW0();
            NDArray lowRank = b.getArray().matMul(latent.getArray()).matMul(a.getArray()).mul(scaling);
            NDArray m = magnitude.getArray().expandDims(1);
            NDArray direction = w0.add(lowRank);
            NDArray delta = direction.mul(m.div(direction.norm(new int[] {1}, true))).sub(w0);
            NDScope.unregister(delta);
            return delta;
        }
    }

    /** {@code [A, s·B·R]}: the DoRA direction update with scaling 1. */
    @Override
    public NDList asLora() {
        return new NDList(a.getArray().duplicate(), b.getArray().matMul(latent.getArray()).mul(scaling));
    }

    @Override
    public Optional<NDArray> peftMagnitude() {
        return Optional.of(magnitude.getArray().duplicate());
    }

    private NDArray baseW0() {
        return unmergedWeight().toType(adapterType(), true);
    }
}
