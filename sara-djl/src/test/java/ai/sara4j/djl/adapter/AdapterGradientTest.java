package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.adapter.sora.SoraConfig;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Autograd gradients of every adapter parameter equal central finite differences in float64. (EDoRA's detached norm
 * makes its gradient differ from the finite differences of its output on purpose: {@code EdoraTest} checks it.)
 */
class AdapterGradientTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");

    static Stream<AdapterConfig> configs() {
        return Stream.of(
                LoraConfig.of(QV, 3, 6).withRslora(true).withPatterns(Map.of("v_proj", 2), Map.of()),
                SaraConfig.of(QV).withThreshold(0.3).withDropout(0),
                MoSaraConfig.of(QV).withHeads(3).withDropout(0),
                SoraConfig.of(QV).withRank(3, 5));
    }

    @ParameterizedTest
    @MethodSource("configs")
    void gradientsMatchFiniteDifferences(AdapterConfig config) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT64, 1);
            AdaptedModel adapter = Adapters.inject(model, config);
            TestNets.randomise(adapter, 2);
            NDArray x = TestNets.input(manager, DataType.FLOAT64, 3);
            NDArray probe = TestNets.input(manager, DataType.FLOAT64, 4).get(":, :, :" + TestNets.OUT);

            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(loss(model, x, probe));
            }
            int checked = 0;
            for (Parameter p : adapter.trainableParameters()) {
                NDArray value = p.getArray();
                double[] grad = value.getGradient().toDoubleArray();
                double[] base = value.toDoubleArray();
                for (int i = 0; i < base.length; i++) {
                    double numeric = (lossAt(model, x, probe, value, base, i, 1e-6)
                            - lossAt(model, x, probe, value, base, i, -1e-6)) / 2e-6;
                    value.set(java.nio.DoubleBuffer.wrap(base));
                    assertEquals(numeric, grad[i], 1e-6 * Math.max(1, Math.abs(numeric)),
                            config.method() + " " + p.getName() + "[" + i + "]");
                    checked++;
                }
            }
            assertTrue(checked > 100, "checked " + checked + " entries");
        }
    }

    private static NDArray loss(Block model, NDArray x, NDArray probe) {
        return TestNets.forward(model, x, true).mul(probe).sum();
    }

    private static double lossAt(Block model, NDArray x, NDArray probe, NDArray value, double[] base, int i, double h) {
        double[] shifted = base.clone();
        shifted[i] += h;
        value.set(java.nio.DoubleBuffer.wrap(shifted));
        try (NDScope scope = new NDScope()) {
            return loss(model, x, probe).getDouble();
        }
    }
}
