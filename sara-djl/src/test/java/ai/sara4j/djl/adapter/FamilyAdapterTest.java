package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.model.CausalLM;
import ai.sara4j.djl.model.Fixtures;
import ai.sara4j.djl.model.ModelLoader;
import ai.sara4j.djl.train.Trainer;
import ai.sara4j.djl.train.TrainingOptions;
import ai.sara4j.djl.train.data.TokenizedDataset;
import ai.sara4j.djl.train.data.TrainingExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Adapters on every family of {@code tools/fixtures/make_family_fixtures.py}: a PEFT LoRA made in Python on all the
 * decoder's linear modules (Phi-3's fused {@code qkv_proj} and {@code gate_up_proj}, GPT-NeoX's
 * {@code query_key_value}, …) gives PEFT's logits, and a SARA adapter trained here on all linear modules exports to
 * a PEFT LoRA that gives the trained model's logits when loaded back, and into a merged checkpoint that does too.
 * With {@code -Dsara4j.familyExports=DIR} the exports and their logits stay in DIR for
 * {@code tools/fixtures/check_family_exports.py}, which loads them with transformers + PEFT.
 */
class FamilyAdapterTest {
    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#families")
    void peftLoraOnAllLinearModulesGivesPeftLogits(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile expected = SafetensorsFile.open(Fixtures.model(name).resolve("expected.safetensors"))) {
            CausalLM lm = ModelLoader.load(Fixtures.model(name), manager);
            AdaptedModel adapted = Adapters.load(lm, Fixtures.model(name).resolve("lora"));
            int perLayer = name.equals("phi3") || name.startsWith("gpt_neox") ? 4 : 7; // fused: qkv, gate_up
            assertEquals(perLayer * lm.config().numLayers(), adapted.layers().size(), "adapted modules");
            long[] mask = expected.readLongs("attention_mask");
            float[] logits = logits(lm, manager, expected.readLongs("input_ids"), mask,
                    expected.info("input_ids").shape());
            Fixtures.assertLogits(name, mask, expected.readFloats("lora_logits"), logits, lm.config().vocabSize());
        }
    }

    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#families")
    void trainedSaraExportsToAPeftLoraWithTheSameLogits(String name, @TempDir Path tmp) throws Exception {
        String keep = System.getProperty("sara4j.familyExports");
        Path out = (keep != null ? Path.of(keep) : tmp).resolve(name);
        Files.createDirectories(out);
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile expected = SafetensorsFile.open(Fixtures.model(name).resolve("expected.safetensors"))) {
            long[] ids = expected.readLongs("input_ids");
            long[] mask = expected.readLongs("attention_mask");
            long[] shape = expected.info("input_ids").shape();
            CausalLM lm = ModelLoader.load(Fixtures.model(name), manager);
            int vocab = lm.config().vocabSize();
            float[] base = logits(lm, manager, ids, mask, shape);
            AdaptedModel sara = Adapters.inject(lm, SaraConfig.builder(TargetMatcher.allLinear()).threshold(0.5)
                    .build());
            Trainer.builder(sara).data(randomSequences(vocab)).options(TrainingOptions.builder().maxSteps(4)
                    .batchSize(4).learningRate(0.05).warmupSteps(0).seed(3).build()).build().train();
            float[] trained = logits(lm, manager, ids, mask, shape);
            assertTrue(maxDiff(base, trained) > 1e-2, name + ": training changed nothing");
            Path export = out.resolve("peft_export");
            sara.exportPeft(export, "sara4j-fixtures/" + name);
            writeExpected(out.resolve("expected.safetensors"), ids, mask, shape, trained);

            CausalLM fresh = ModelLoader.load(Fixtures.model(name), manager);
            Adapters.load(fresh, export);
            Fixtures.assertLogits(name, mask, trained, logits(fresh, manager, ids, mask, shape), vocab);

            Path merged = out.resolve("merged");
            MergedCheckpointWriter.write(Fixtures.model(name), sara, merged); // W0 + ΔW under the checkpoint's names
            Fixtures.assertLogits(name + " merged", mask, trained, logits(ModelLoader.load(merged, manager), manager,
                    ids, mask, shape), vocab);
        }
    }

    /**
     * Half precision, as on a GPU: every family's FP16 base gives transformers' float32 logits to FP16's precision,
     * and a loss-scaled training step of float32 adapters on it is finite and moves the adapters.
     */
    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#families")
    void fp16BaseRunsAndTrainsEveryFamily(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile expected = SafetensorsFile.open(Fixtures.model(name).resolve("expected.safetensors"))) {
            CausalLM lm = ModelLoader.load(Fixtures.model(name), manager, DataType.FLOAT16);
            long[] mask = expected.readLongs("attention_mask");
            float[] logits = logits(lm, manager, expected.readLongs("input_ids"), mask,
                    expected.info("input_ids").shape());
            float[] want = expected.readFloats("logits");
            double scale = 0;
            double max = 0;
            for (int pos = 0; pos < mask.length; pos++) {
                for (int v = 0; mask[pos] == 1 && v < lm.config().vocabSize(); v++) {
                    int i = pos * lm.config().vocabSize() + v;
                    scale = Math.max(scale, Math.abs(want[i]));
                    max = Math.max(max, Math.abs(want[i] - logits[i]));
                }
            }
            assertTrue(max <= 0.02 * scale, name + ": FP16 max |Δlogit| " + max + " of " + scale);
            AdaptedModel lora = Adapters.inject(lm, LoraConfig.builder(
                    TargetMatcher.allLinear()).r(4).alpha(8).dropout(0.1).build());
            float[] before = lora.trainableParameters().get(1).getArray().toFloatArray();
            Trainer.Result result = Trainer.builder(lora).data(randomSequences(lm.config().vocabSize()))
                    .options(TrainingOptions.builder().maxSteps(2).batchSize(4).learningRate(0.01).warmupSteps(0)
                            .lossScaling(true).build()).build().train();
            assertTrue(Double.isFinite(result.finalLoss()), name + ": loss " + result.finalLoss());
            assertTrue(maxDiff(before, lora.trainableParameters().get(1).getArray().toFloatArray()) > 0,
                    name + ": the adapter did not move");
        }
    }

    /** Sixteen random sequences of 12 tokens, every token a target. */
    private static TokenizedDataset randomSequences(int vocab) {
        Random random = new Random(11);
        List<TrainingExample> examples = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            long[] seq = random.longs(12, 3, vocab).toArray();
            examples.add(new TrainingExample(seq, seq.clone()));
        }
        return new TokenizedDataset(examples, 0, 0, 12);
    }

    private static float[] logits(CausalLM lm, NDManager manager, long[] ids, long[] mask, long[] shape) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray logits = lm.forward(new ParameterStore(scope, false), scope.create(ids, new Shape(shape)),
                    scope.create(mask, new Shape(shape)), null, false);
            return logits.toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    private static void writeExpected(Path file, long[] ids, long[] mask, long[] shape, float[] logits)
            throws Exception {
        long[] logitsShape = {shape[0], shape[1], logits.length / (shape[0] * shape[1])};
        new SafetensorsWriter().addLongs("input_ids", shape, ids).addLongs("attention_mask", shape, mask)
                .addFloats("logits", logitsShape, logits).write(file);
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
