package ai.sara4j.djl.model;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/**
 * The committed model fixtures made by {@code tools/fixtures/make_model_fixtures.py} (LLaMA, GPT-J, GPT-2) and
 * {@code tools/fixtures/make_family_fixtures.py} (the others).
 */
final class Fixtures {
    /** The tiny random-weight checkpoints, one per family (GPT-NeoX twice: parallel and sequential residual). */
    static final List<String> TINY = List.of("llama-gqa", "gptj", "gpt2", "mistral", "qwen2", "qwen3", "gemma",
            "gemma2", "phi3", "gpt_neox", "gpt_neox-sequential", "olmo2");
    /** The fixtures of {@code make_family_fixtures.py}: with greedy continuations and a PEFT LoRA each. */
    static final List<String> FAMILIES = TINY.subList(3, TINY.size());
    /** The families whose fixtures have sliding-window layers, with a batch longer than the window. */
    static final List<String> SLIDING = List.of("mistral", "qwen2", "gemma2", "phi3");

    private Fixtures() {}

    static List<String> tiny() {
        return TINY;
    }

    static List<String> families() {
        return FAMILIES;
    }

    static List<String> sliding() {
        return SLIDING;
    }

    static Path model(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/models/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
