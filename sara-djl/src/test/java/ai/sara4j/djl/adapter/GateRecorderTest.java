package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.mosara.GateRecorder;
import ai.sara4j.djl.adapter.mosara.GateStatistics;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/**
 * {@link GateRecorder} on a Mo-SARA layer whose router is set so that the gate of a token is known in closed form:
 * with Q_k's first column e_1, w1 = e_1 and w2 = (0, 1, 2), z·w1 = x_0 and g = softmax(x_0·(0, 1, 2)); x_0 = ln 2
 * gives (1, 2, 4)/7, x_0 = −ln 2 gives (4, 2, 1)/7 and x_0 = 0 gives (1, 1, 1)/3.
 */
class GateRecorderTest {
    private static final String Q0 = "model.layers.0.self_attn.q_proj";
    private static final String Q1 = "model.layers.1.self_attn.q_proj";
    private static final double LN2 = Math.log(2);
    private static final double[] UNIFORM = {1 / 3.0, 1 / 3.0, 1 / 3.0};
    private static final double[] UP = {1 / 7.0, 2 / 7.0, 4 / 7.0};
    private static final double[] DOWN = {4 / 7.0, 2 / 7.0, 1 / 7.0};
    private static final double[] PADDING = softmax(5 * LN2);
    /** x_0 of the (2, 3) tokens: row 1 ends in two padding tokens, whose gate is far from the others. */
    private static final double[][] X0 = {{0, LN2, -LN2}, {LN2, 5 * LN2, 5 * LN2}};
    private static final float[] MASK = {1, 1, 1, 1, 0, 0};

    private static double[] softmax(double s) {
        double[] e = {1, Math.exp(s), Math.exp(2 * s)};
        double sum = e[0] + e[1] + e[2];
        return new double[] {e[0] / sum, e[1] / sum, e[2] / sum};
    }

    private static double[] mean(double[]... gates) {
        double[] out = new double[3];
        for (double[] g : gates) {
            for (int h = 0; h < 3; h++) {
                out[h] += g[h] / gates.length;
            }
        }
        return out;
    }

    /** Mo-SARA (3 heads, no dropout) on both q_proj, the router of layer 0's set as in the class comment. */
    private static AdaptedModel adapted(NDManager manager, DataType type) {
        AdaptedModel adapted = Adapters.inject(TestNets.build(manager, type, 1),
                MoSaraConfig.of(TargetMatcher.names("q_proj")).withHeads(3).withDropout(0));
        AdapterLayer layer = adapted.layers().get(Q0);
        int k = layer.rank();
        double[] q = new double[TestNets.IN * k];
        q[0] = 1; // Q_k[0][0]
        double[] w1 = new double[k];
        w1[0] = 1;
        set(layer, "mosara_Q", q);
        set(layer, "mosara_router.w1", w1);
        set(layer, "mosara_router.w2", new double[] {0, 1, 2});
        return adapted;
    }

    private static void set(AdapterLayer layer, String tensor, double[] values) {
        NDArray a = layer.tensors().get(tensor).getArray();
        try (NDArray v = a.getManager().create(values, a.getShape()); NDArray t = v.toType(a.getDataType(), false)) {
            t.copyTo(a);
        }
    }

    /** (2, 3, IN) tokens with x_0 from {@link #X0} and other features that the router does not see. */
    private static NDArray input(NDManager manager, DataType type) {
        double[] x = new double[2 * 3 * TestNets.IN];
        for (int t = 0; t < 6; t++) {
            for (int i = 0; i < TestNets.IN; i++) {
                x[t * TestNets.IN + i] = i == 0 ? X0[t / 3][t % 3] : Math.sin(7 * t + i);
            }
        }
        return manager.create(x, new Shape(2, 3, TestNets.IN)).toType(type, false);
    }

    @Test
    void averagesTheGateOverTheRealTokens() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapted = adapted(manager, DataType.FLOAT64);
            AdapterLayer layer = adapted.layers().get(Q0);
            NDArray x = input(manager, DataType.FLOAT64);
            try (GateRecorder gates = GateRecorder.attach(adapted)) {
                gates.tokenMask(manager.create(MASK, new Shape(2, 3)));
                TestNets.forward(layer, x, false);
                GateStatistics stats = gates.statistics();
                assertEquals(3, stats.heads());
                assertEquals(List.of(Q0), stats.modules(), "layer 1's q_proj was not run");
                assertEquals(4, stats.tokens(Q0));
                assertArrayEquals(mean(UNIFORM, UP, DOWN, UP), stats.mean(Q0), 1e-14);
                double sum = 0;
                for (double g : stats.mean(Q0)) {
                    sum += g;
                }
                assertEquals(1, sum, 1e-14);

                TestNets.forward(layer, x, false); // a second pass adds to the same totals
                assertEquals(8, gates.statistics().tokens(Q0));
                assertArrayEquals(mean(UNIFORM, UP, DOWN, UP), gates.statistics().mean(Q0), 1e-14);

                gates.reset();
                gates.tokenMask(null); // every token counts, the padding too
                TestNets.forward(layer, x, false);
                assertEquals(6, gates.statistics().tokens(Q0));
                assertArrayEquals(mean(UNIFORM, UP, DOWN, UP, PADDING, PADDING), gates.statistics().mean(Q0), 1e-14);

                Map<String, SortedMap<Integer, double[]>> byKind = gates.statistics().byKind();
                assertEquals(List.of("q_proj"), List.copyOf(byKind.keySet()));
                assertEquals(List.of(0), List.copyOf(byKind.get("q_proj").keySet()));
                assertArrayEquals(gates.statistics().mean(Q0), byKind.get("q_proj").get(0), 0);
            }
        }
    }

    /** FP32 adapters (a float base) record the same means to float precision, also in a recorded training pass. */
    @Test
    void recordsFloatGatesAndTrainingPasses() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapted = adapted(manager, DataType.FLOAT32);
            AdapterLayer layer = adapted.layers().get(Q0);
            NDArray x = input(manager, DataType.FLOAT32);
            try (GateRecorder gates = GateRecorder.attach(adapted)) {
                gates.tokenMask(manager.create(MASK, new Shape(2, 3)).toType(DataType.INT64, false));
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = TestNets.forward(layer, x, true);
                    collector.backward(y.sum());
                }
                assertArrayEquals(mean(UNIFORM, UP, DOWN, UP), gates.statistics().mean(Q0), 1e-6);
            }
        }
    }

    @Test
    void freesWhatItKeptAndDetaches() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapted = adapted(manager, DataType.FLOAT64);
            AdapterLayer layer = adapted.layers().get(Q0);
            NDArray x = input(manager, DataType.FLOAT64);
            int before = manager.getManagedArrays().size();
            GateRecorder gates = GateRecorder.attach(adapted);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                gates.tokenMask(manager.create(MASK, new Shape(2, 3)));
                TestNets.forward(layer, x, false);
                TestNets.forward(layer, x, false);
            }
            assertEquals(8, gates.statistics().tokens(Q0), "the totals outlive the pass's scope");
            gates.close();
            assertEquals(before, manager.getManagedArrays().size(), "no array left behind");
            assertThrows(IllegalStateException.class, gates::statistics);
            try (GateRecorder again = GateRecorder.attach(adapted)) {
                assertThrows(IllegalStateException.class, again::statistics, "nothing recorded yet");
                TestNets.forward(layer, x, false);
                assertEquals(6, again.statistics().tokens(Q0));
            }
        }
    }

    @Test
    void refusesWhatItCannotRecord() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapted = adapted(manager, DataType.FLOAT64);
            try (GateRecorder gates = GateRecorder.attach(adapted)) {
                IllegalStateException twice = assertThrows(IllegalStateException.class,
                        () -> GateRecorder.attach(adapted));
                assertTrue(twice.getMessage().contains("already has a GateRecorder"), twice.getMessage());
                IllegalArgumentException notBinary = assertThrows(IllegalArgumentException.class,
                        () -> gates.tokenMask(manager.create(new float[] {1, 0.5f}, new Shape(1, 2))));
                assertTrue(notBinary.getMessage().contains("element 1 is 0.5"), notBinary.getMessage());
                gates.tokenMask(manager.create(new float[] {1, 1}, new Shape(1, 2)));
                IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                        () -> TestNets.forward(adapted.layers().get(Q1), input(manager, DataType.FLOAT64), false));
                assertTrue(shape.getMessage().startsWith("module '" + Q1 + "': the gate's tokens have shape (2, 3)"),
                        shape.getMessage());
            }
            AdaptedModel sara = Adapters.inject(TestNets.build(manager, DataType.FLOAT64, 2),
                    SaraConfig.of(TargetMatcher.names("q_proj")));
            IllegalArgumentException notMoSara = assertThrows(IllegalArgumentException.class,
                    () -> GateRecorder.attach(sara));
            assertTrue(notMoSara.getMessage().contains("adapter 'default' is sara, not mosara"), notMoSara.getMessage());
        }
    }
}
