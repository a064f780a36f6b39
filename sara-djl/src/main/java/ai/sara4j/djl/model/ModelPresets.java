package ai.sara4j.djl.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shapes of well-known models, for building random-weight models in benchmarks ({@link ModelLoader#random}) without
 * their checkpoints. Values are those of the models' Hugging Face {@code config.json}.
 */
public final class ModelPresets {
    private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

    static {
        // huggyllama/llama-7b, llama-13b
        PRESETS.put("llama-7b", llama(4096, 32, 32, 32, 11008, 1e-6));
        PRESETS.put("llama-13b", llama(5120, 40, 40, 40, 13824, 1e-6));
        // TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T
        PRESETS.put("tinyllama-1.1b", llama(2048, 22, 32, 4, 5632, 1e-5));
        // EleutherAI/gpt-j-6b
        PRESETS.put("gpt-j-6b", new ModelConfig(ModelFamily.GPTJ, 50400, 4096, 28, 16, 16, 256, 16384, 1e-5,
                Activation.GELU_NEW, Rope.plain(10000, 64, true), 2048, false, false, true, true, 50256,
                List.of(50256L), ModelConfig.Variations.NONE));
        // openai-community/gpt2
        PRESETS.put("gpt2", new ModelConfig(ModelFamily.GPT2, 50257, 768, 12, 12, 12, 64, 3072, 1e-5,
                Activation.GELU_NEW, null, 1024, true, true, true, false, 50256, List.of(50256L), ModelConfig.Variations.NONE));
    }

    private ModelPresets() {}

    private static ModelConfig llama(int hidden, int layers, int heads, int kvHeads, int intermediate, double eps) {
        int headDim = hidden / heads;
        return new ModelConfig(ModelFamily.LLAMA, 32000, hidden, layers, heads, kvHeads, headDim, intermediate, eps,
                Activation.SILU, Rope.plain(10000, headDim, false), 2048, false, false, false, false, 1, List.of(2L),
                ModelConfig.Variations.NONE);
    }

    /**
     * The names of the presets.
     *
     * @return {@code llama-7b}, {@code llama-13b}, {@code tinyllama-1.1b}, {@code gpt-j-6b} and {@code gpt2}, in
     *     that order
     */
    public static Set<String> names() {
        return PRESETS.keySet();
    }

    /**
     * The configuration of a preset.
     *
     * @param name one of {@link #names()}
     * @return the model's configuration, as its Hugging Face {@code config.json} gives it
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static ModelConfig get(String name) {
        ModelConfig config = PRESETS.get(name);
        if (config == null) {
            throw new IllegalArgumentException("unknown model preset '" + name + "' (known: " + names() + ")");
        }
        return config;
    }
}
