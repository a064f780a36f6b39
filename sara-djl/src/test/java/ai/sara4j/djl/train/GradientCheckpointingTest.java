package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.edora.EdoraConfig;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.adapter.sora.SoraConfig;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.data.TokenizedDataset;
import ai.sara4j.djl.train.data.TrainingExample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradient (activation) checkpointing on tinystories-656k: the recomputed layers replay the plain pass's dropout
 * masks, so every method's adapter gradients, accumulated over two micro-batches, equal those of the plain pass; an
 * FP16 base with loss scaling trains checkpointed; a resumed checkpointed run equals a straight one bit for bit.
 * Skipped when ../shared is absent.
 */
class GradientCheckpointingTest {
    private static final TargetMatcher TARGETS = TargetMatcher.names("q_proj", "v_proj", "down_proj");
    private static final double DROPOUT = 0.1;

    /**
     * The adapter gradients (then zeroed) of two micro-batches of 2 lines each, accumulated as the trainer does,
     * the engine seeded with {@code seed + micro-batch} before each.
     */
    private static Map<String, float[]> gradients(LanguageModel lm, AdaptedModel adapter, TokenizedDataset data,
            boolean checkpointed, int seed) {
        CausalLmObjective objective = CausalLmObjective.padding(E2eBackward.EOS).withGradientCheckpointing(checkpointed);
        List<TrainingExample> examples = data.examples();
        double factor = 1.0 / objective.countedTargets(examples);
        ParameterStore store = new ParameterStore(lm.manager(), false);
        for (int micro = 0; micro < 2; micro++) {
            Engine.getInstance().setRandomSeed(seed + micro);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                    objective.forwardBackward(store, lm.manager(), lm.model(), examples.subList(2 * micro,
                            2 * micro + 2), factor);
                }
            }
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, AdapterLayer> layer : adapter.layers().entrySet()) {
            layer.getValue().tensors().forEach((name, p) -> {
                if (p.requiresGradient()) {
                    try (NDScope scope = new NDScope()) {
                        scope.suppressNotUsedWarning();
                        out.put(layer.getKey() + "." + name,
                                p.getArray().getGradient().toType(DataType.FLOAT32, false).toFloatArray());
                        JniUtils.zeroGrad((PtNDArray) p.getArray());
                    }
                }
            });
        }
        return out;
    }

    /**
     * ‖a − b‖ / ‖a‖ over every tensor, asserting a non-zero gradient (a fresh LoRA's A has none: its B is zero).
     */
    private static double relativeError(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double diff = 0;
        double norm = 0;
        for (String name : a.keySet()) {
            for (int i = 0; i < a.get(name).length; i++) {
                diff += Math.pow(a.get(name)[i] - b.get(name)[i], 2);
                norm += Math.pow(a.get(name)[i], 2);
            }
        }
        assertTrue(norm > 0, "no gradient");
        return Math.sqrt(diff / norm);
    }

    @Test
    void checkpointedGradientsEqualThePlainOnesForEveryMethod() throws Exception {
        List<AdapterConfig> methods = List.of(
                LoraConfig.of(TARGETS, 4, 8).withDropout(DROPOUT),
                SaraConfig.of(TARGETS).withThreshold(0.1).withDropout(DROPOUT),
                MoSaraConfig.of(TARGETS).withHeads(3).withDropout(DROPOUT),
                SoraConfig.of(TARGETS).withRank(3, 5).withDropout(DROPOUT),
                EdoraConfig.of(TARGETS).withRank(4, 8).withDropout(DROPOUT));
        for (AdapterConfig method : methods) {
            try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
                AdaptedModel adapter = Adapters.inject(lm.model(), method);
                TokenizedDataset data = E2eBackward.lines(lm, 0, 4);
                Map<String, float[]> plain = gradients(lm, adapter, data, false, 11);
                Map<String, float[]> checkpointed = gradients(lm, adapter, data, true, 11);
                String which = method.getClass().getSimpleName();
                double error = relativeError(plain, checkpointed);
                assertTrue(error <= 1e-6, which + ": checkpointed gradients differ by " + error);
                // the masks matter: other seeds draw other masks and another gradient, which the recomputation
                // would have to replay too
                double otherMasks = relativeError(plain, gradients(lm, adapter, data, true, 12));
                assertTrue(otherMasks > 1e-3, which + ": dropout changed nothing (" + otherMasks + ")");
            }
        }
    }

    @Test
    void anFp16BaseGivesTheSameGradientsCheckpointed() throws Exception {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories(), null, DataType.FLOAT16)) {
            AdaptedModel adapter = Adapters.inject(lm.model(), SaraConfig.of(TARGETS).withThreshold(0.1)
                    .withDropout(DROPOUT));
            TokenizedDataset data = E2eBackward.lines(lm, 0, 4);
            Map<String, float[]> plain = gradients(lm, adapter, data, false, 5);
            double error = relativeError(plain, gradients(lm, adapter, data, true, 5));
            // the same FP16 arithmetic in the same order: only the summation order of the input gradients differs
            assertTrue(error < 1e-3, "FP16 checkpointed gradients differ by " + error);
        }
    }

    @Test
    void lossScaledFp16TrainingLowersTheLossCheckpointed(@TempDir Path tmp) throws Exception {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories(), null, DataType.FLOAT16)) {
            AdaptedModel adapter = Adapters.inject(lm.model(), SaraConfig.of(TARGETS).withThreshold(0.1));
            List<StepMetrics> steps = new ArrayList<>();
            TrainingOptions options = TrainingOptions.builder().learningRate(1e-2).batchSize(4).warmupSteps(0)
                    .maxSteps(12).lossScaling(true).gradientCheckpointing(true).build();
            Trainer.builder(adapter).data(E2eBackward.lines(lm, 0, 8)).padTokenId(E2eBackward.EOS).options(options)
                    .onStep(steps::add).runFolder(tmp).build().train();
            StepMetrics end = steps.get(steps.size() - 1);
            assertTrue(end.skipped() < 4, end.toString());
            double first = (steps.get(0).loss() + steps.get(1).loss()) / 2;
            double last = (steps.get(10).loss() + steps.get(11).loss()) / 2;
            assertTrue(last < first - 0.3, "loss " + first + " -> " + last);
        }
    }

    /** A LoRA with dropout trained 4 updates of 2 micro-batches, checkpointed; stopped after update 3 when asked. */
    private static List<String> run(Path folder, boolean checkpointed, boolean resume, long stopAt)
            throws Exception {
        List<String> losses = new ArrayList<>();
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdaptedModel adapter = Adapters.inject(lm.model(), LoraConfig.of(TARGETS, 4, 4).withDropout(DROPOUT));
            TrainingOptions options = TrainingOptions.builder().learningRate(3e-3).batchSize(3)
                    .gradientAccumulation(2).warmupSteps(2).maxSteps(4).saveEvery(2)
                    .gradientCheckpointing(checkpointed).build();
            Trainer.builder(adapter).data(E2eBackward.lines(lm, 0, 12)).options(options).runFolder(folder)
                    .resume(resume).onStep(m -> {
                        if (m.step() == stopAt) {
                            throw new IllegalStateException("killed");
                        }
                        losses.add(m.step() + " " + m.loss() + " " + m.gradNorm());
                    }).build().train();
        }
        return losses;
    }

    @Test
    void aResumedCheckpointedRunEqualsAStraightOne(@TempDir Path tmp) throws Exception {
        List<String> straight = run(tmp.resolve("a"), true, false, -1);
        assertThrows(IllegalStateException.class, () -> run(tmp.resolve("b"), true, false, 3));
        List<String> resumed = run(tmp.resolve("b"), true, true, -1);
        assertEquals(straight.subList(2, 4), resumed);
        assertArrayEquals(TrainerTest.tensors(tmp.resolve("a/adapter")), TrainerTest.tensors(tmp.resolve("b/adapter")));
        // the plain pass draws the same masks: the same losses, up to the gradients' summation order
        List<String> plain = run(tmp.resolve("c"), false, false, -1);
        assertEquals(straight.size(), plain.size());
        for (int i = 0; i < plain.size(); i++) {
            double a = Double.parseDouble(straight.get(i).split(" ")[1]);
            double b = Double.parseDouble(plain.get(i).split(" ")[1]);
            assertEquals(a, b, 1e-5 * Math.abs(a), "step " + (i + 1));
        }
        IllegalStateException changed = assertThrows(IllegalStateException.class,
                () -> run(tmp.resolve("a"), false, true, -1));
        assertTrue(changed.getMessage().contains("options.gradientCheckpointing"), changed.getMessage());
    }
}
