package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.djl.model.CausalLM;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * The SoRA/EDoRA fixtures of {@code tools/fixtures/make_sora_edora_fixtures.py}: known method tensors, the PEFT
 * folder they correspond to and PEFT's logits for a prompt on tinystories-656k.
 */
final class PeftFixtures {
    private PeftFixtures() {}

    static Path folder(String name) throws URISyntaxException {
        return Path.of(PeftFixtures.class.getResource("/fixtures/sora_edora/" + name).toURI());
    }

    /** Copies {@code <module>.<tensor>} of {@code factors} into every tensor of every layer of {@code adapter}. */
    static void fill(AdaptedModel adapter, SafetensorsFile factors) throws IOException {
        for (var layer : adapter.layers().entrySet()) {
            for (var tensor : layer.getValue().tensors().entrySet()) {
                TensorLoader.fill(factors, layer.getKey() + "." + tensor.getKey(), tensor.getValue());
            }
        }
    }

    /** The model's logits for the fixture prompt equal PEFT's to 1e-4. */
    static void assertLogits(NDManager manager, CausalLM model, Path folder) throws IOException {
        try (SafetensorsFile expected = SafetensorsFile.open(folder.resolve("expected.safetensors"))) {
            NDArray ids = manager.create(expected.readLongs("input_ids"),
                    new Shape(expected.info("input_ids").shape()));
            float[] got = model.forward(new ParameterStore(manager, false), ids, null, null, false).toFloatArray();
            float[] want = expected.readFloats("logits");
            assertEquals(want.length, got.length);
            double maxDiff = 0;
            double maxAbs = 0;
            for (int i = 0; i < want.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
                maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            }
            assertTrue(maxAbs > 1, "fixture logits too small to discriminate: " + maxAbs);
            assertTrue(maxDiff <= 1e-4, folder.getFileName() + ": max |Δlogit| = " + maxDiff);
        }
    }

    /** Every tensor of PEFT's adapter file is in ours with the same values (1e-6), and nothing else. */
    static void assertSameTensors(Path peftFolder, Path ours) throws IOException {
        try (SafetensorsFile want = SafetensorsFile.open(peftFolder.resolve(Adapters.WEIGHTS_FILE));
                SafetensorsFile got = SafetensorsFile.open(ours.resolve(Adapters.WEIGHTS_FILE))) {
            assertEquals(want.tensors().keySet(), got.tensors().keySet());
            for (String t : want.tensors().keySet()) {
                assertArrayEquals(want.info(t).shape(), got.info(t).shape(), t);
                assertArrayEquals(want.readFloats(t), got.readFloats(t), 1e-6f, t);
            }
        }
    }
}
