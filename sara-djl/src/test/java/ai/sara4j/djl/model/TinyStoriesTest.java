package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.testing.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real pretrained Llama of ../shared against transformers; skipped when ../shared is absent. */
class TinyStoriesTest {
    private static LanguageModel lm;
    private static SafetensorsFile expected;

    @BeforeAll
    static void load() throws Exception {
        lm = LanguageModel.load(SharedData.tinyStories());
        expected = SafetensorsFile.open(Fixtures.model("tinystories").resolve("expected.safetensors"));
    }

    @AfterAll
    static void close() throws Exception {
        if (lm != null) {
            lm.close();
            expected.close();
        }
    }

    @Test
    void tokenIdsAndLogitsMatchTransformers() throws Exception {
        int count = Integer.parseInt(expected.metadata().get("count"));
        for (int i = 0; i < count; i++) {
            String prompt = expected.metadata().get("prompt" + i);
            PromptLogits got = lm.logits(prompt);
            assertArrayEquals(expected.readLongs("prompt" + i + ".input_ids"), got.inputIds(), prompt);
            float[] want = expected.readFloats("prompt" + i + ".logits");
            assertEquals(want.length, got.logits().length);
            double maxDiff = 0;
            for (int j = 0; j < want.length; j++) {
                maxDiff = Math.max(maxDiff, Math.abs(want[j] - got.logits()[j]));
            }
            assertTrue(maxDiff <= 1e-4, prompt + ": max |Δlogit| = " + maxDiff);
        }
    }

    @Test
    void greedyContinuationMatchesTransformersGenerate() throws Exception {
        long[] want = expected.readLongs("greedy.output_ids");
        GenerationOptions options = GenerationOptions.greedy(want.length).stoppingAt(java.util.List.of());
        Completion c = lm.generate(expected.metadata().get("prompt0"), options);
        assertArrayEquals(want, c.generatedIds());
        assertEquals(expected.metadata().get("greedy.text"), c.text());
    }

    @Test
    void longTextIsNeverTruncated() {
        String text = "Once upon a time there was a dog. ".repeat(200);
        long[] ids = lm.tokenizer().encode(text);
        assertTrue(ids.length > 1000, "got " + ids.length + " ids");
        assertEquals(1, ids[0], "BOS first, as tokenizer_config add_bos_token says");
    }

    @Test
    void logitsFileHoldsIdsAndLogits(@TempDir Path dir) throws Exception {
        PromptLogits got = lm.logits("Once upon a time");
        got.write(dir.resolve("out.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("out.safetensors"))) {
            assertArrayEquals(new long[] {got.inputIds().length, 2048}, f.info("logits").shape());
            assertArrayEquals(got.inputIds(), f.readLongs("input_ids"));
            assertArrayEquals(got.logits(), f.readFloats("logits"));
        }
    }
}
