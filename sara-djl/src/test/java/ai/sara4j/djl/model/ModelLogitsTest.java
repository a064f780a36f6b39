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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Logits of the tiny random-weight checkpoints against transformers (eager attention, float32). */
class ModelLogitsTest {
    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "gptj", "gpt2"})
    void paddedBatchMatchesTransformers(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile expected = SafetensorsFile.open(Fixtures.model(name).resolve("expected.safetensors"))) {
            CausalLM model = ModelLoader.load(Fixtures.model(name), manager);
            long[] shape = expected.info("input_ids").shape();
            NDArray ids = manager.create(expected.readLongs("input_ids"), new Shape(shape));
            long[] maskValues = expected.readLongs("attention_mask");
            NDArray mask = manager.create(maskValues, new Shape(shape));
            float[] logits = model.forward(new ParameterStore(manager, false), ids, mask, null, false).toFloatArray();
            float[] want = expected.readFloats("logits");
            assertEquals(want.length, logits.length);
            int vocab = model.config().vocabSize();
            double maxDiff = 0;
            double maxAbs = 0;
            for (int pos = 0; pos < maskValues.length; pos++) {
                if (maskValues[pos] == 0) {
                    continue; // transformers' outputs at padding are not meaningful
                }
                for (int v = 0; v < vocab; v++) {
                    int i = pos * vocab + v;
                    maxDiff = Math.max(maxDiff, Math.abs(logits[i] - want[i]));
                    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
                }
            }
            assertTrue(maxAbs > 0.5, "fixture logits too small to discriminate: " + maxAbs);
            assertTrue(maxDiff <= TOLERANCE, name + ": max |Δlogit| = " + maxDiff);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "gptj", "gpt2"})
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
