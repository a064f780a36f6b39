package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.edora.EdoraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.model.LanguageModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU recipe, FP16 base weights with FP32 adapters and loss scaling, run on the CPU (libtorch computes FP16 there
 * too): gradients reach every adapter tensor of every layer through the FP16 network (DJL's own dtype conversion
 * would cut the graph), agree with those of the FP32 model, and the trainer lowers the loss without touching the
 * FP16 base. Skipped when ../shared is absent.
 */
class MixedPrecisionTest {
    private static final TargetMatcher TARGETS = TargetMatcher.names("q_proj", "v_proj", "down_proj");

    /** The adapter gradients of one batch's target loss, by tensor; the adapters and logits are float32. */
    private static Map<String, float[]> gradients(DataType baseType) throws Exception {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories(), null, baseType)) {
            // no dropout: the two runs must draw nothing at random after the (seeded) initialisation
            AdaptedModel adapter = Adapters.inject(lm.model(),
                    SaraConfig.of(TARGETS).withThreshold(0.1).withDropout(0));
            adapter.trainableParameters().forEach(p -> assertEquals(DataType.FLOAT32, p.getArray().getDataType()));
            return E2eBackward.gradients(lm, adapter, E2eBackward.lines(lm, 0, 4),
                    logits -> assertEquals(DataType.FLOAT32, logits.getDataType()));
        }
    }

    @Test
    void fp16BaseGivesTheFp32GradientsToEveryAdapterTensor() throws Exception {
        Map<String, float[]> full = gradients(DataType.FLOAT32);
        Map<String, float[]> half = gradients(DataType.FLOAT16);
        assertEquals(full.keySet(), half.keySet());
        assertEquals(6 * 3, full.size()); // 2 layers × 3 modules × (U, λ, V)
        for (String name : full.keySet()) {
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < full.get(name).length; i++) {
                diff += Math.pow(full.get(name)[i] - half.get(name)[i], 2);
                norm += Math.pow(full.get(name)[i], 2);
            }
            assertTrue(norm > 0, name + ": no gradient");
            // FP16 keeps ~3 significant digits through two layers
            assertTrue(Math.sqrt(diff / norm) < 2e-2, name + ": relative gradient error " + Math.sqrt(diff / norm));
        }
    }

    /**
     * EDoRA takes x·W0ᵀ from the FP16 base layer, reused without dropout and run again on the dropped-out input with
     * it: both paths hand every trainable tensor (R, m) of every layer a finite, non-zero FP32 gradient.
     */
    @Test
    void edoraOnAnFp16BaseGetsGradientsWithAndWithoutDropout() throws Exception {
        for (double dropout : new double[] {0, 0.1}) {
            try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories(), null, DataType.FLOAT16)) {
                AdaptedModel adapter = Adapters.inject(lm.model(),
                        EdoraConfig.of(TARGETS).withRank(4, 8).withDropout(dropout));
                Map<String, float[]> gradients = E2eBackward.gradients(lm, adapter, E2eBackward.lines(lm, 0, 4),
                        logits -> assertEquals(DataType.FLOAT32, logits.getDataType()));
                assertEquals(6 * 2, gradients.size(), "2 layers × 3 modules × (R, m)");
                gradients.forEach((name, g) -> {
                    double norm = 0;
                    for (float v : g) {
                        assertTrue(Float.isFinite(v), name + " at dropout " + dropout);
                        norm += v * v;
                    }
                    assertTrue(norm > 0, name + ": no gradient at dropout " + dropout);
                });
            }
        }
    }

    @Test
    void lossScaledTrainingOfAnFp16BaseLowersTheLossAndKeepsTheBase(@TempDir Path tmp) throws Exception {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories(), null, DataType.FLOAT16)) {
            NDArray baseWeight = lm.model().namedParameters().get("model.layers.0.self_attn.q_proj.weight")
                    .getArray();
            AdaptedModel adapter = Adapters.inject(lm.model(), SaraConfig.of(TARGETS).withThreshold(0.1));
            assertEquals(DataType.FLOAT16, baseWeight.getDataType());
            float[] before = baseWeight.toType(DataType.FLOAT32, true).toFloatArray();
            List<StepMetrics> steps = new ArrayList<>();
            TrainingOptions options = TrainingOptions.builder().learningRate(1e-2).batchSize(4).warmupSteps(0)
                    .maxSteps(12).lossScaling(true).build();
            Trainer.builder(adapter).data(E2eBackward.lines(lm, 0, 8)).padTokenId(E2eBackward.EOS).options(options)
                    .onStep(steps::add).runFolder(tmp).build().train();
            // overflowing scaled gradients skip their update and halve the scale, as GradScaler does
            StepMetrics end = steps.get(steps.size() - 1);
            assertTrue(end.skipped() < 4 && end.lossScale() == 65536.0 / (1L << end.skipped()), end.toString());
            double first = (steps.get(0).loss() + steps.get(1).loss()) / 2;
            double last = (steps.get(10).loss() + steps.get(11).loss()) / 2;
            assertTrue(last < first - 0.3, "loss " + first + " -> " + last);
            assertArrayEquals(before, baseWeight.toType(DataType.FLOAT32, true).toFloatArray());
        }
    }
}
