package ai.sara4j.djl.adapter.sora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.LayerInit;
import ai.sara4j.djl.engine.Scalars;

/**
 * SoRA around a frozen Linear: {@code y = base(x) + s·((dropout(x)·Aᵀ) ⊙ g)·Bᵀ}, as {@code LowRankLinear} of the
 * SoRA code (ΔW = s·B·diag(g)·A).
 *
 * <p>Tensors: {@code lora_A.weight} A (r×in, Kaiming-uniform a=√5 as PEFT LoRA), {@code lora_B.weight} B (out×r,
 * zeros, so ΔW = 0 at the start), {@code sora_gate} g (r, standard normal as the SoRA code's {@code torch.randn}).
 * s = alpha/r. The gate becomes sparse through {@link SoraProximalStep}; {@link #asLora()} keeps only the live
 * ranks (g ≠ 0) with g and s folded into B, an ordinary LoRA of rank nnz(g) with the same outputs.
 */
public final class SoraLayer extends AdapterLayer {
    private final int r;
    private final double scaling;
    private final Parameter loraA;
    private final Parameter loraB;
    private final Parameter gate;

    SoraLayer(Linear base, int r, double scaling, double dropout, LayerInit init) {
        super(base, dropout);
        this.r = r;
        this.scaling = scaling;
        long out = baseShape()[0];
        long in = baseShape()[1];
        loraA = tensor("lora_A.weight", init.fresh() ? kaimingUniform(init.random(), in, r, in) : zeros(r, in), true);
        loraB = tensor("lora_B.weight", zeros(out, r), true);
        gate = tensor("sora_gate", init.fresh() ? normal(init.random(), 1, r) : zeros(r), true);
    }

    @Override
    protected NDArray delta(ParameterStore store, NDArray x, boolean training) {
        NDArray a = value(store, loraA, x, training); // r×in
        NDArray b = value(store, loraB, x, training); // out×r
        NDArray g = value(store, gate, x, training); // r
        return x.matMul(a.transpose()).mul(g).matMul(b.transpose()).mul(Scalars.like(x, scaling)); // (…, out)
    }

    /**
     * The rank before pruning (the shape of the saved tensors).
     *
     * @return r, the length of the gate
     */
    @Override
    public int rank() {
        return r;
    }

    /**
     * The number of live ranks: non-zero gates.
     *
     * @return nnz(g), between 0 and {@link #rank()}
     */
    public int liveRank() {
        int live = 0;
        for (double g : doubles(gate.getArray())) {
            live += g != 0 ? 1 : 0;
        }
        return live;
    }

    /**
     * The gate parameter g (r), which {@link SoraProximalStep} shrinks.
     *
     * @return the trainable gate, shape (r)
     */
    public Parameter gate() {
        return gate;
    }

    /**
     * The scaling s = alpha/r (r before pruning, as in the SoRA code).
     *
     * @return s
     */
    public double scaling() {
        return scaling;
    }

    @Override
    public NDArray deltaWeight() {
        return loraB.getArray().mul(gate.getArray()).matMul(loraA.getArray()).mul(scaling);
    }

    /**
     * The pruned update: {@code [A[live] (k×in), s·B[:, live]·diag(g[live]) (out×k)]} for the k = nnz(g) live ranks
     * (k may be 0: then the module has no update and the export leaves it out).
     */
    @Override
    public NDList asLora() {
        double[] g = doubles(gate.getArray());
        double[] a = doubles(loraA.getArray());
        double[] b = doubles(loraB.getArray());
        int in = Math.toIntExact(baseShape()[1]);
        int out = Math.toIntExact(baseShape()[0]);
        int k = liveRank();
        double[] prunedA = new double[k * in];
        double[] prunedB = new double[out * k];
        int j = 0;
        for (int i = 0; i < r; i++) {
            if (g[i] == 0) {
                continue;
            }
            System.arraycopy(a, i * in, prunedA, j * in, in);
            for (int o = 0; o < out; o++) {
                prunedB[o * k + j] = scaling * g[i] * b[o * r + i];
            }
            j++;
        }
        return new NDList(fromHost(prunedA, k, in), fromHost(prunedB, out, k));
    }

    private NDArray fromHost(double[] values, long... shape) {
        try (NDArray host = manager().create(values, new Shape(shape))) {
            return adopt(host);
        }
    }

    private static double[] doubles(NDArray array) {
        try (NDArray wide = array.toType(DataType.FLOAT64, true)) {
            return wide.toDoubleArray();
        }
    }
}
