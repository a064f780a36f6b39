package ai.sara4j.djl.adapter.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.LayerInit;
import ai.sara4j.djl.engine.Scalars;

/**
 * LoRA around a frozen Linear: {@code y = base(x) + s·(dropout(x)·Aᵀ)·Bᵀ}, as PEFT's {@code lora.Linear}.
 *
 * <p>Tensors: {@code lora_A.weight} A (r×in, Kaiming-uniform a=√5 as nn.Linear), {@code lora_B.weight} B (out×r,
 * zeros, so ΔW = 0 at the start). s = alpha/r, or alpha/√r with rsLoRA.
 */
public final class LoraLayer extends AdapterLayer {
    private final int r;
    private final double scaling;
    private final Parameter loraA;
    private final Parameter loraB;

    LoraLayer(Linear base, int r, double scaling, double dropout, LayerInit init) {
        super(base, dropout);
        this.r = r;
        this.scaling = scaling;
        long out = baseShape()[0];
        long in = baseShape()[1];
        loraA = tensor("lora_A.weight", init.fresh() ? kaimingUniform(init.random(), in, r, in) : zeros(r, in), true);
        loraB = tensor("lora_B.weight", zeros(out, r), true);
    }

    @Override
    protected NDArray delta(ParameterStore store, NDArray x, boolean training) {
        NDArray a = value(store, loraA, x, training); // r×in
        NDArray b = value(store, loraB, x, training); // out×r
        return x.matMul(a.transpose()).matMul(b.transpose()).mul(Scalars.like(x, scaling)); // (…, out)
    }

    @Override
    public int rank() {
        return r;
    }

    /**
     * The scaling s of this module.
     *
     * @return alpha/r, or alpha/√r with rsLoRA (PEFT's {@code use_rslora}), with this module's alpha and r
     */
    public double scaling() {
        return scaling;
    }

    @Override
    public NDArray deltaWeight() {
        return loraB.getArray().matMul(loraA.getArray()).mul(scaling);
    }

    @Override
    public NDList asLora() {
        return new NDList(loraA.getArray().duplicate(), loraB.getArray().mul(scaling));
    }
}
