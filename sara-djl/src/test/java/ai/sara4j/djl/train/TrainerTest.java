package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.data.Example;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.data.ExampleTokenizer;
import ai.sara4j.djl.train.data.TokenizedDataset;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training loop on the real tinystories-656k model with E2E lines: same seed → same loss curve; a run stopped
 * after its checkpoint and resumed ends with the same adapter tensors and metrics lines as an uninterrupted run (the
 * falling loss of every method is checked by TinyStoriesAdapterTest); accumulated micro-batches give the gradient of
 * the whole batch.
 */
class TrainerTest {
    private static final long EOS = 2;

    /** The first {@code n} lines of the E2E validation file as (prompt, target) lists. */
    private static List<List<String>> e2eLines(int n) throws IOException {
        List<Example> examples = E2eData.examples(SharedData.require("data/e2e/valid.txt")).subList(0, n);
        return List.of(examples.stream().map(Example::prompt).toList(), examples.stream().map(Example::target).toList());
    }

    /** Trains a fresh LoRA (dropout on, to check its masks are reproduced too) on a fresh copy of the model. */
    private static Trainer.Result train(Path run, TrainingOptions options, boolean resume, List<List<String>> data,
            Consumer<StepMetrics> listener) throws IOException {
        return train(run, options, resume, data, 64, listener);
    }

    private static Trainer.Result train(Path run, TrainingOptions options, boolean resume, List<List<String>> data,
            int maxLength, Consumer<StepMetrics> listener) throws IOException {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdaptedModel adapter = Adapters.inject(lm.model(), LoraConfig.of(TargetMatcher.names("q_proj", "v_proj",
                    "down_proj"), 4, 4).withDropout(0.1).withSeed(7));
            TokenizedDataset tokens = ExampleTokenizer.of(lm.tokenizer(), EOS, maxLength)
                    .tokenize(data.get(0), data.get(1));
            return Trainer.builder(adapter).data(tokens).options(options).onStep(listener).runFolder(run)
                    .resume(resume).build().train();
        }
    }

    private static TrainingOptions options(long steps) {
        return TrainingOptions.builder().learningRate(3e-3).batchSize(3).gradientAccumulation(2).warmupSteps(2)
                .maxSteps(steps).saveEvery(2).build();
    }

    private static List<String> lossLines(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode line : TrainingRun.readMetrics(run)) {
            out.add(line.get("step") + " " + line.get("epoch") + " " + line.get("loss") + " " + line.get("lr") + " "
                    + line.get("grad_norm") + " " + line.get("tokens"));
        }
        return out;
    }

    /** The targets rotated by one line: the same count of lines, other pairs. */
    private static List<String> shifted(List<String> lines) {
        List<String> out = new ArrayList<>(lines.subList(1, lines.size()));
        out.add(lines.get(0));
        return out;
    }

    /** Every tensor of a saved adapter, in file order, as one float32 array. */
    static float[] tensors(Path adapterFolder) throws IOException {
        List<Float> values = new ArrayList<>();
        try (SafetensorsFile file = SafetensorsFile.open(adapterFolder.resolve(Adapters.WEIGHTS_FILE))) {
            for (String name : file.tensors().keySet()) {
                var buffer = file.floatBuffer(name, DType.F32).asFloatBuffer();
                while (buffer.hasRemaining()) {
                    values.add(buffer.get());
                }
            }
        }
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    /**
     * The labelSmoothing option reaches the causal-LM loss: with the same data and dropout masks, the first update's
     * loss is L0 + ε·(U − L0) (U the mean cross-entropy against the uniform distribution), linear in ε.
     */
    @Test
    void labelSmoothingReachesTheLossLinearly(@TempDir Path tmp) throws IOException {
        List<List<String>> data = e2eLines(6);
        double[] first = new double[3];
        double[] eps = {0, 0.1, 0.3};
        for (int i = 0; i < eps.length; i++) {
            int at = i;
            train(tmp.resolve("run" + i), options(1).toBuilder().labelSmoothing(eps[i]).build(), false, data,
                    m -> first[at] = m.loss());
        }
        assertTrue(first[1] > first[0] + 0.05, first[1] + " vs " + first[0]); // U is far above L0
        assertEquals(3.0, (first[2] - first[0]) / (first[1] - first[0]), 1e-3);
    }

    @Test
    void sameSeedGivesSameLossCurveAndResumeEqualsStraightRun(@TempDir Path tmp) throws IOException {
        List<List<String>> data = e2eLines(12);
        train(tmp.resolve("a"), options(4), false, data, m -> { });
        train(tmp.resolve("b"), options(4), false, data, m -> { });
        List<String> straight = lossLines(tmp.resolve("a"));
        assertEquals(4, straight.size());
        assertEquals(straight, lossLines(tmp.resolve("b")));
        assertArrayEquals(tensors(tmp.resolve("a/adapter")), tensors(tmp.resolve("b/adapter")));

        // "killed" during update 3: the checkpoint of update 2 survives, metrics.jsonl has 3 lines
        Path c = tmp.resolve("c");
        assertThrows(IllegalStateException.class, () -> train(c, options(4), false, data, m -> {
            if (m.step() == 3) {
                throw new IllegalStateException("killed");
            }
        }));
        assertEquals(3, lossLines(c).size());
        IllegalStateException exists = assertThrows(IllegalStateException.class,
                () -> train(c, options(4), false, data, m -> { }));
        assertTrue(exists.getMessage().contains("--resume"), exists.getMessage());
        IllegalStateException changed = assertThrows(IllegalStateException.class,
                () -> train(c, options(4).toBuilder().seed(8).build(), true, data, m -> { }));
        assertTrue(changed.getMessage().contains("options.seed = 42, this run has options.seed = 8"),
                changed.getMessage());
        // the same number of lines, other lines: the tokens differ
        IllegalStateException otherData = assertThrows(IllegalStateException.class,
                () -> train(c, options(4), true, List.of(data.get(0), shifted(data.get(1))), m -> { }));
        assertTrue(otherData.getMessage().contains("it was trained with data.tokens = "), otherData.getMessage());
        // another maximum length cuts (here also drops) other examples
        IllegalStateException otherLength = assertThrows(IllegalStateException.class,
                () -> train(c, options(4), true, data, 40, m -> { }));
        assertTrue(otherLength.getMessage().contains("it was trained with data.examples = 12, this run has"
                + " data.examples = "), otherLength.getMessage());
        assertEquals(3, lossLines(c).size()); // a refused resume changes nothing
        Trainer.Result resumed = train(c, options(4).toBuilder().saveEvery(1).build(), true, data,
                m -> assertTrue(m.step() > 2));
        assertEquals(4, resumed.steps());
        assertEquals(straight, lossLines(c));
        assertArrayEquals(tensors(tmp.resolve("a/adapter")), tensors(c.resolve("adapter")));
    }

    /**
     * One update of two micro-batches of 3 carries the gradient of the mean target loss over all 6 examples: the
     * loss gradient computed in closed form per micro-batch (CausalLmLoss.sumAndBackward) and accumulated equals
     * autograd's through log_softmax on one batch of 6 (E2eBackward). Read in a hook, after the update and before
     * zeroing; no clipping, no dropout.
     */
    @Test
    void accumulatedMicroBatchesGiveTheGradientOfTheWholeBatch() throws Exception {
        SaraConfig config = SaraConfig.of(TargetMatcher.names("q_proj", "v_proj", "down_proj")).withThreshold(0.1)
                .withDropout(0);
        Map<String, float[]> reference;
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdaptedModel adapter = Adapters.inject(lm.model(), config);
            reference = E2eBackward.gradients(lm, adapter, E2eBackward.lines(lm, 0, 6), logits -> { });
        }
        Map<String, float[]> accumulated = new LinkedHashMap<>();
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdaptedModel adapter = Adapters.inject(lm.model(), config);
            StepHook capture = (step, lr) -> adapter.layers().forEach((module, layer) -> layer.tensors().forEach(
                    (name, p) -> accumulated.put(module + "." + name, p.getArray().getGradient().toFloatArray())));
            TrainingOptions options = TrainingOptions.builder().learningRate(1e-3).maxSteps(1).batchSize(3)
                    .gradientAccumulation(2).warmupSteps(0).maxGradNorm(0).build();
            Trainer.builder(adapter).data(E2eBackward.lines(lm, 0, 6)).padTokenId(E2eBackward.EOS).options(options)
                    .hooks(List.of(capture)).build().train();
        }
        assertEquals(reference.keySet(), accumulated.keySet());
        for (String name : reference.keySet()) {
            float[] want = reference.get(name);
            float[] got = accumulated.get(name);
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < want.length; i++) {
                diff += Math.pow(want[i] - got[i], 2);
                norm += Math.pow(want[i], 2);
            }
            assertTrue(norm > 0, name + ": no gradient");
            assertTrue(Math.sqrt(diff / norm) < 1e-4, name + ": relative difference " + Math.sqrt(diff / norm));
        }
    }

    @Test
    void lossScalingByAPowerOfTwoChangesNothingInFp32(@TempDir Path tmp) throws IOException {
        List<List<String>> data = e2eLines(6);
        train(tmp.resolve("plain"), options(2), false, data, m -> { });
        List<Double> scales = new ArrayList<>();
        train(tmp.resolve("scaled"), options(2).toBuilder().lossScaling(true).build(), false, data,
                m -> scales.add(m.lossScale()));
        assertEquals(List.of(65536.0, 65536.0), scales); // GradScaler's initial scale, no overflow, no growth yet
        // ×2¹⁶ then ÷2¹⁶ is exact in floating point: the scaled run is the unscaled one, bit for bit
        assertEquals(lossLines(tmp.resolve("plain")), lossLines(tmp.resolve("scaled")));
        assertArrayEquals(tensors(tmp.resolve("plain/adapter")), tensors(tmp.resolve("scaled/adapter")));
    }
}
