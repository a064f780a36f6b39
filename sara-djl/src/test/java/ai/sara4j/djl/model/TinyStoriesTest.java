package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.testing.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;
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

    /**
     * In float16 the fused attention (float32 accumulation inside the kernel) and the eager reference (float16
     * matmuls, float32 softmax) round differently, so their logits differ by float16 noise. Greedy decoding, one prompt
     * with the cache and two prompts batched with left padding, picks the same tokens until, at most, a step where the
     * float32 model's two candidates are within one float16 step of each other (a tie in float16: prompt 0 meets one at
     * token 38, where the float32 logits are 15.484 and 15.489 and both float16 logits round to 15.477 on the fused
     * path, so argmax takes the lower id).
     */
    @Test
    void float16FusedGreedyGenerationEqualsTheEagerPathUpToFloat16Ties() throws Exception {
        List<String> prompts = List.of(expected.metadata().get("prompt0"), "Tom had a red ball. One day");
        GenerationOptions options = GenerationOptions.greedy(40).stoppingAt(List.of());
        try (LanguageModel half = LanguageModel.load(SharedData.tinyStories(), null, DataType.FLOAT16)) {
            List<Completion> fused = new ArrayList<>(List.of(half.generate(prompts.get(0), options)));
            fused.addAll(half.generate(prompts, options));
            List<Completion> eager;
            SelfAttention.eagerReference = true;
            try {
                eager = new ArrayList<>(List.of(half.generate(prompts.get(0), options)));
                eager.addAll(half.generate(prompts, options));
            } finally {
                SelfAttention.eagerReference = false;
            }
            for (int i = 0; i < fused.size(); i++) {
                assertEqualUpToAFloat16Tie(fused.get(i), eager.get(i));
            }
        }
    }

    /** The two completions agree token for token, or up to a step where the float32 model sees a float16 tie. */
    private static void assertEqualUpToAFloat16Tie(Completion fused, Completion eager) {
        long[] a = fused.generatedIds();
        long[] b = eager.generatedIds();
        assertEquals(40, a.length);
        assertEquals(40, b.length);
        int d = 0;
        while (d < a.length && a[d] == b[d]) {
            d++;
        }
        if (d == a.length) {
            return;
        }
        long[] ids = LongStream.concat(Arrays.stream(fused.promptIds()), Arrays.stream(a, 0, d)).toArray();
        try (NDManager m = lm.manager().newSubManager()) {
            NDArray x = m.create(ids, new Shape(1, ids.length));
            float[] logits = lm.model().forward(new ParameterStore(m, false), x, null, null, false)
                    .get(0, ids.length - 1).toFloatArray();
            float high = Math.max(Math.abs(logits[(int) a[d]]), Math.abs(logits[(int) b[d]]));
            double float16Step = Math.scalb(1.0, Math.getExponent(high) - 10);
            double gap = Math.abs(logits[(int) a[d]] - logits[(int) b[d]]);
            assertTrue(gap < float16Step, "fused and eager float16 differ at generated token " + d + " (" + a[d]
                    + " vs " + b[d] + "), where the float32 logits are " + gap + " apart, more than a float16 step "
                    + float16Step + ": " + fused.text());
        }
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
