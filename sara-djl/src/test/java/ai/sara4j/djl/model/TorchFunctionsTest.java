package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** The fused functions against their formulas in float64; attention is {@link FusedAttentionTest}'s. */
class TorchFunctionsTest {
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
}
