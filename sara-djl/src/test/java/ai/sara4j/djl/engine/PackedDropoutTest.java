package ai.sara4j.djl.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The adapter-input dropout: its drop rate per 16-bit lane, its scale, its gradient and its seeding. */
class PackedDropoutTest {
    private static final double P = 0.05;
    /** round(0.05·65536) = 3277 of the 65,536 lane values drop. */
    private static final double DROP = 3277 / 65536.0;
    private static final double KEEP_SCALE = 65536.0 / (65536 - 3277);

    @Test
    void everyLaneDropsAtTheRequestedRateAndKeptValuesAreScaled() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            int n = 400_000;
            float[] y = PackedDropout.apply(m.ones(new Shape(n)), P).toFloatArray();
            long[] droppedPerLane = new long[4];
            for (int i = 0; i < n; i++) {
                if (y[i] == 0) {
                    droppedPerLane[i % 4]++;
                } else {
                    assertEquals((float) KEEP_SCALE, y[i], "kept element " + i);
                }
            }
            // each lane: 100,000 Bernoulli(DROP) draws, σ ≈ 0.00069; a lane taken from a sign bit or a wrong shift
            // drops never or half the time
            double sigma = Math.sqrt(DROP * (1 - DROP) / (n / 4.0));
            for (int lane = 0; lane < 4; lane++) {
                double rate = droppedPerLane[lane] / (n / 4.0);
                assertEquals(DROP, rate, 5 * sigma, "lane " + lane + " of " + Arrays.toString(droppedPerLane));
            }
        }
    }

    @Test
    void neighbouringElementsAreIndependent() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(12);
            int n = 400_000;
            float[] y = PackedDropout.apply(m.ones(new Shape(n)), 0.5).toFloatArray();
            long bothDropped = 0;
            for (int i = 0; i + 1 < n; i++) {
                if (y[i] == 0 && y[i + 1] == 0) {
                    bothDropped++;
                }
            }
            // independent halves: a quarter of the pairs, σ ≈ 0.0007
            assertEquals(0.25, bothDropped / (double) (n - 1), 0.0035);
        }
    }

    @Test
    void theGradientIsTheSameMaskAndScale() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(13);
            NDArray x = m.randomNormal(new Shape(3, 5, 7)); // 105 elements: not a multiple of four lanes
            x.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                y = PackedDropout.apply(x, P);
                collector.backward(y.sum());
            }
            assertEquals(x.getShape(), y.getShape());
            float[] in = x.toFloatArray();
            float[] out = y.toFloatArray();
            float[] grad = x.getGradient().toFloatArray();
            for (int i = 0; i < in.length; i++) {
                float factor = out[i] == 0 ? 0 : (float) KEEP_SCALE;
                assertEquals(factor * in[i], out[i], 1e-6f, "output " + i);
                assertEquals(factor, grad[i], "gradient " + i);
            }
        }
    }

    @Test
    void theEngineSeedRepeatsTheMask() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(1000), DataType.FLOAT64);
            Engine.getInstance().setRandomSeed(5);
            double[] first = PackedDropout.apply(x, 0.3).toDoubleArray();
            double[] next = PackedDropout.apply(x, 0.3).toDoubleArray();
            Engine.getInstance().setRandomSeed(5);
            assertArrayEquals(first, PackedDropout.apply(x, 0.3).toDoubleArray());
            assertFalse(Arrays.equals(first, next), "the generator moves on between calls");
            assertTrue(Arrays.stream(first).anyMatch(v -> v == 0));
        }
    }

    @Test
    void zeroIsTheInputAndOutOfRangeIsAnError() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.ones(new Shape(4));
            assertSame(x, PackedDropout.apply(x, 0));
            assertThrows(IllegalArgumentException.class, () -> PackedDropout.apply(x, 1));
            assertThrows(IllegalArgumentException.class, () -> PackedDropout.apply(x, -0.1));
        }
    }
}
