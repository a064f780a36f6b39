package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.testing.SharedData;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./sara logits} and {@code ./sara generate} on tinystories-656k against transformers' outputs. */
class ModelCommandsTest {

    /** transformers' ids, logits and greedy continuation, made by tools/fixtures/make_model_fixtures.py. */
    private static SafetensorsFile expected(Path tmp) throws Exception {
        Path file = tmp.resolve("expected.safetensors");
        try (InputStream in = ModelCommandsTest.class.getResourceAsStream("/fixtures/models/tinystories/expected.safetensors")) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return SafetensorsFile.open(file);
    }

    @Test
    void logitsFileEqualsTransformers(@TempDir Path tmp) throws Exception {
        Path model = SharedData.tinyStories();
        try (SafetensorsFile ref = expected(tmp)) {
            String prompt = ref.metadata().get("prompt0");
            Path out = tmp.resolve("logits.safetensors");
            CliRunner.Result r = CliRunner.run("logits", "--model", model.toString(), "--prompt", prompt,
                    "--out", out.toString());
            assertEquals(0, r.exitCode(), r.err());
            try (SafetensorsFile got = SafetensorsFile.open(out)) {
                assertArrayEquals(ref.readLongs("prompt0.input_ids"), got.readLongs("input_ids"));
                assertArrayEquals(ref.info("prompt0.logits").shape(), got.info("logits").shape());
                float[] want = ref.readFloats("prompt0.logits");
                float[] have = got.readFloats("logits");
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], have[i], 1e-4, "logit " + i);
                }
            }
        }
    }

    @Test
    void greedyGenerationEqualsTransformers(@TempDir Path tmp) throws Exception {
        Path model = SharedData.tinyStories();
        try (SafetensorsFile ref = expected(tmp)) {
            int newTokens = ref.readLongs("greedy.output_ids").length;
            CliRunner.Result r = CliRunner.run("generate", "--model", model.toString(), "--prompt",
                    ref.metadata().get("prompt0"), "--max-new-tokens", Integer.toString(newTokens));
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(ref.metadata().get("greedy.text").strip(), r.out().strip());
        }
    }

    @Test
    void missingModelIsOneLineError(@TempDir Path tmp) {
        CliRunner.Result r = CliRunner.run("generate", "--model", tmp.resolve("absent").toString(), "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("absent"), r.err());
    }
}
