package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.edora.EdoraConfig;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.adapter.sora.SoraConfig;
import ai.sara4j.djl.train.AdamW;
import ai.sara4j.djl.train.StepHook;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each method, trained alone on a frozen network, fits a teacher (the same network with perturbed weights): the loss
 * falls over 50 AdamW steps at the paper's learning rates (with the method's after-update hooks, SoRA's proximal
 * step).
 */
class AdapterTrainingTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");

    record Case(AdapterConfig config, float learningRate) {
        @Override
        public String toString() {
            return config.method();
        }
    }

    static Stream<Case> cases() {
        return Stream.of(new Case(LoraConfig.of(QV, 4, 8), 1e-2f),
                new Case(SaraConfig.of(QV).withThreshold(0.3).withDropout(0), 1e-2f),
                new Case(MoSaraConfig.of(QV).withHeads(3).withDropout(0), 3e-2f),
                new Case(SoraConfig.of(QV).withRank(4, 8), 1e-2f),
                new Case(EdoraConfig.of(QV).withRank(4, 8), 1e-2f));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void lossFallsOver50Steps(Case c) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block teacher = TestNets.build(manager, DataType.FLOAT32, 100);
            Block student = TestNets.build(manager, DataType.FLOAT32, 1);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            NDArray target = TestNets.forward(teacher, x, false);
            AdaptedModel adapter = Adapters.inject(student, c.config());
            AdamW adamW = TestNets.adamW(adapter); // its state lives on a sub-manager of the test's manager
            float first = Float.NaN;
            float last = Float.NaN;
            for (int step = 0; step < 50; step++) {
                try (NDScope scope = new NDScope()) {
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = TestNets.forward(student, x, true).sub(target).square().mean();
                        collector.backward(loss);
                        last = loss.getFloat();
                    }
                }
                if (step == 0) {
                    first = last;
                }
                TestNets.step(adamW, c.learningRate());
                for (StepHook hook : adapter.stepHooks()) {
                    hook.afterUpdate(step + 1, c.learningRate());
                }
            }
            assertTrue(last < 0.8f * first, c + ": loss " + first + " -> " + last);
        }
    }
}
