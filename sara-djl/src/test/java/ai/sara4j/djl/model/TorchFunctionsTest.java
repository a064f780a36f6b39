package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * The fused functions against their formulas in float64. Attention: the fused float32 attention against softmax(q·kᵀ + bias)·v written out in float64, values and gradients, with
 * grouped-query heads (each key/value head repeated for two query heads) and a left-padded row whose padding
 * queries see no key at all (their rows of the bias are all the float32 minimum). Those queries' outputs are equal
 * (the mean of the values) but get no weight in the loss: as in training, where no loss and no real query reads
 * them, their gradient is arbitrary (the float32 minimum absorbs q·k; the eager and flash backward disagree on it).
 */
class TorchFunctionsTest {
    private static final int B = 2;
    private static final int H = 4;
    private static final int KV = 2;
    private static final int T = 5;
    private static final int D = 3;

    @Test
    void attentionValuesAndGradientsEqualTheFloat64Formula() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(11);
            NDArray q64 = m.randomNormal(new Shape(B, H, T, D)).toType(DataType.FLOAT64, false);
            NDArray k64 = m.randomNormal(new Shape(B, KV, T, D)).toType(DataType.FLOAT64, false);
            NDArray v64 = m.randomNormal(new Shape(B, KV, T, D)).toType(DataType.FLOAT64, false);
            NDArray weights = m.randomNormal(new Shape(B, H, T, D)).toType(DataType.FLOAT64, false);
            weights.set(new NDIndex("1, :, :2"), 0); // the padding queries of row 1
            NDArray bias = bias(m); // (B, 1, T, T) float32

            NDArray[] expected = valueAndGradients(q64, k64, v64, weights, (q, k, v) -> reference(q, k, v, bias));
            NDArray[] actual = valueAndGradients(q64.toType(DataType.FLOAT32, false),
                    k64.toType(DataType.FLOAT32, false), v64.toType(DataType.FLOAT32, false),
                    weights.toType(DataType.FLOAT32, false),
                    (q, k, v) -> TorchFunctions.scaledDotProductAttention(q, repeat(k), repeat(v), bias));
            String[] names = {"output", "dq", "dk", "dv"};
            for (int i = 0; i < expected.length; i++) {
                double[] e = expected[i].toDoubleArray();
                double[] a = actual[i].toType(DataType.FLOAT64, false).toDoubleArray();
                assertArrayEquals(e, a, 1e-5, names[i]);
                assertTrue(expected[i].abs().sum().getDouble() > 0.1, names[i] + " must not be trivially zero");
            }
        }
    }

    @Test
    void siluValuesAndGradientsEqualTheFloat64Formula() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {-6, -1.5f, -0.25f, 0, 0.5f, 2, 7});
            NDArray x64 = x.toType(DataType.FLOAT64, false);
            NDArray sigmoid = x64.neg().exp().add(1).pow(-1);
            double[] expected = x64.mul(sigmoid).toDoubleArray(); // x·σ(x)
            // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))
            double[] expectedGrad = sigmoid.mul(x64.mul(sigmoid.neg().add(1)).add(1)).toDoubleArray();
            x.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                y = TorchFunctions.silu(x);
                c.backward(y.sum());
            }
            assertArrayEquals(expected, y.toType(DataType.FLOAT64, false).toDoubleArray(), 1e-6);
            assertArrayEquals(expectedGrad, x.getGradient().toType(DataType.FLOAT64, false).toDoubleArray(), 1e-6);
        }
    }

    private interface Attention {
        NDArray apply(NDArray q, NDArray k, NDArray v);
    }

    /** [output, dL/dq, dL/dk, dL/dv] for L = Σ output·weights. */
    private static NDArray[] valueAndGradients(NDArray q, NDArray k, NDArray v, NDArray weights, Attention f) {
        for (NDArray x : new NDArray[] {q, k, v}) {
            x.setRequiresGradient(true);
        }
        NDArray out;
        try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
            out = f.apply(q, k, v);
            c.backward(out.mul(weights).sum());
        }
        return new NDArray[] {out.stopGradient(), q.getGradient(), k.getGradient(), v.getGradient()};
    }

    /** softmax(q·kᵀ + bias)·v in float64 with each key/value head repeated for two query heads. */
    private static NDArray reference(NDArray q, NDArray k, NDArray v, NDArray bias) {
        NDArray scores = q.matMul(repeat(k).transpose(0, 1, 3, 2)).add(bias.toType(DataType.FLOAT64, false));
        NDArray e = scores.sub(scores.max(new int[] {-1}, true)).exp();
        return e.div(e.sum(new int[] {-1}, true)).matMul(repeat(v));
    }

    private static NDArray repeat(NDArray x) {
        return x.expandDims(2).repeat(2, H / KV).reshape(B, H, T, D);
    }

    /** Causal; row 1 is left-padded by two tokens: its keys 0-1 are masked, and so is everything of queries 0-1. */
    private static NDArray bias(NDManager m) {
        float[] values = new float[B * T * T];
        for (int row = 0; row < B; row++) {
            int pad = row == 1 ? 2 : 0;
            for (int i = 0; i < T; i++) {
                for (int j = 0; j < T; j++) {
                    boolean allowed = j <= i && j >= pad;
                    values[(row * T + i) * T + j] = allowed ? 0 : -Float.MAX_VALUE;
                }
            }
        }
        return m.create(values, new Shape(B, 1, T, T));
    }
}
