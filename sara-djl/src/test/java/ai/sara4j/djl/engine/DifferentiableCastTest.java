package ai.sara4j.djl.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** Casts that autograd sees, where DJL's toType cuts the graph. */
class DifferentiableCastTest {

    @Test
    void gradientsFlowThroughAHalfPrecisionRoundTrip() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1, 2, 3});
            w.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray half = DifferentiableCast.to(w.mul(2), DataType.FLOAT16);
                assertEquals(DataType.FLOAT16, half.getDataType());
                NDArray back = DifferentiableCast.to(half.square(), DataType.FLOAT64);
                assertEquals(DataType.FLOAT64, back.getDataType());
                assertArrayEquals(new double[] {4, 16, 36}, back.toDoubleArray());
                collector.backward(back.sum());
            }
            // d/dw Σ (2w)² = 8w, exact in half precision for these values
            assertArrayEquals(new float[] {8, 16, 24}, w.getGradient().toFloatArray());
        }
    }

    @Test
    void theSameTypeIsNoOperationAndOutsideTrainingItIsAPlainCast() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {0.5f, -1.25f});
            assertSame(x, DifferentiableCast.to(x, DataType.FLOAT32));
            NDArray half = DifferentiableCast.to(x, DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertArrayEquals(new float[] {0.5f, -1.25f}, half.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }
}
