package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.safetensors.TensorInfo;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Logits of the tiny random-weight checkpoints against transformers (eager attention, float32). */
class ModelLogitsTest {
    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#tiny")
    void paddedBatchMatchesTransformers(String name) throws Exception {
        assertBatchMatches(name, "input_ids", "attention_mask", "logits");
    }

    /** A batch four times longer than the sliding window, one row left-padded: the window's edge as transformers. */
    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#sliding")
    void sequenceLongerThanTheSlidingWindowMatchesTransformers(String name) throws Exception {
        assertBatchMatches(name, "long_input_ids", "long_attention_mask", "long_logits");
    }

    /** The fused kernel and the eager reference agree on every family (the fused path is the default). */
    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#sliding")
    void eagerReferenceAlsoMatchesTransformers(String name) throws Exception {
        SelfAttention.eagerReference = true;
        try {
            assertBatchMatches(name, "long_input_ids", "long_attention_mask", "long_logits");
        } finally {
            SelfAttention.eagerReference = false;
        }
    }

    static void assertBatchMatches(String name, String idsKey, String maskKey, String logitsKey) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile expected = SafetensorsFile.open(Fixtures.model(name).resolve("expected.safetensors"))) {
            CausalLM model = ModelLoader.load(Fixtures.model(name), manager);
            long[] shape = expected.info(idsKey).shape();
            NDArray ids = manager.create(expected.readLongs(idsKey), new Shape(shape));
            long[] maskValues = expected.readLongs(maskKey);
            NDArray mask = manager.create(maskValues, new Shape(shape));
            float[] logits = model.forward(new ParameterStore(manager, false), ids, mask, null, false).toFloatArray();
            Fixtures.assertLogits(name, maskValues, expected.readFloats(logitsKey), logits, model.config().vocabSize());
        }
    }

    /**
     * The GPT-2 fixture rewritten as two shards with an index, its names without the {@code transformer.} prefix
     * (as in the original openai-community/gpt2 checkpoint), gives the same logits.
     */
    @Test
    void shardedCheckpointWithoutTransformerPrefixGivesTheSameLogits(@TempDir Path dir) throws Exception {
        Path good = Fixtures.model("gpt2");
        Files.copy(good.resolve("config.json"), dir.resolve("config.json"));
        ObjectNode index = new ObjectMapper().createObjectNode();
        ObjectNode weightMap = index.putObject("weight_map");
        SafetensorsWriter[] shards = {new SafetensorsWriter(), new SafetensorsWriter()};
        String[] shardNames = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
        try (SafetensorsFile src = SafetensorsFile.open(good.resolve("model.safetensors"))) {
            int i = 0;
            for (TensorInfo t : src.tensors().values()) {
                String name = t.name().replaceFirst("^transformer\\.", "");
                shards[i % 2].add(name, t.dtype(), t.shape(), src.buffer(t.name()));
                weightMap.put(name, shardNames[i % 2]);
                i++;
            }
            for (int s = 0; s < 2; s++) {
                shards[s].write(dir.resolve(shardNames[s]));
            }
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray ids = manager.create(new long[] {5, 17, 42, 9}, new Shape(1, 4));
            CausalLM sharded = ModelLoader.load(dir, manager);
            CausalLM single = ModelLoader.load(good, manager);
            assertEquals("h.0.attn.c_attn.weight", sharded.checkpointNames().get("transformer.h.0.attn.c_attn.weight"));
            assertArrayEquals(single.forward(ps, ids, null, null, false).toFloatArray(),
                    sharded.forward(ps, ids, null, null, false).toFloatArray());
        }
    }

    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#tiny")
    void leftPaddedRowEqualsUnpaddedSequence(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile expected = SafetensorsFile.open(Fixtures.model(name).resolve("expected.safetensors"))) {
            CausalLM model = ModelLoader.load(Fixtures.model(name), manager);
            ParameterStore ps = new ParameterStore(manager, false);
            long[] shape = expected.info("input_ids").shape();
            NDArray ids = manager.create(expected.readLongs("input_ids"), new Shape(shape));
            NDArray mask = manager.create(expected.readLongs("attention_mask"), new Shape(shape));
            // row 1 has three pads on the left
            NDArray padded = model.forward(ps, ids, mask, null, false).get(new NDIndex("1, 3:"));
            NDArray alone = model.forward(ps, ids.get(new NDIndex("1:2, 3:")), null, null, false).get(0);
            assertArrayEquals(alone.toFloatArray(), padded.toFloatArray(), 1e-5f);
        }
    }
}
