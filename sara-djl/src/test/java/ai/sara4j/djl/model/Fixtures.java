package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/**
 * The committed model fixtures made by {@code tools/fixtures/make_model_fixtures.py} (LLaMA, GPT-J, GPT-2) and
 * {@code tools/fixtures/make_family_fixtures.py} (the others).
 */
public final class Fixtures {
    /** The tiny random-weight checkpoints, one per family (GPT-NeoX twice: parallel and sequential residual). */
    static final List<String> TINY = List.of("llama-gqa", "gptj", "gpt2", "mistral", "qwen2", "qwen3", "gemma",
            "gemma2", "phi3", "gpt_neox", "gpt_neox-sequential", "olmo2");
    /** The fixtures of {@code make_family_fixtures.py}: with greedy continuations and a PEFT LoRA each. */
    static final List<String> FAMILIES = TINY.subList(3, TINY.size());
    /** The families whose fixtures have sliding-window layers, with a batch longer than the window. */
    static final List<String> SLIDING = List.of("mistral", "qwen2", "gemma2", "phi3");

    private Fixtures() {}

    /** Max |Δlogit| allowed against transformers' float32 logits. */
    public static final double TOLERANCE = 1e-4;

    static List<String> tiny() {
        return TINY;
    }

    public static List<String> families() {
        return FAMILIES;
    }

    static List<String> sliding() {
        return SLIDING;
    }

    public static Path model(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/models/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Max |Δlogit| over the tokens (not the padding, where transformers' outputs mean nothing) within
     * {@link #TOLERANCE}; the expected logits must be large enough to tell right from wrong.
     */
    public static void assertLogits(String name, long[] maskValues, float[] want, float[] logits, int vocab) {
        assertEquals(want.length, logits.length);
        double maxDiff = 0;
        double maxAbs = 0;
        for (int pos = 0; pos < maskValues.length; pos++) {
            if (maskValues[pos] == 0) {
                continue;
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
