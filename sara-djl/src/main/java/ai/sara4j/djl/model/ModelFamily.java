package ai.sara4j.djl.model;

import java.util.Arrays;
import java.util.Optional;

/** The decoder-only architectures SARA4J implements, by their Hugging Face {@code model_type}. */
public enum ModelFamily {
    /**
     * LLaMA and its derivatives: RMSNorm, rotary embeddings (rotate_half), gated SiLU MLP, optional grouped-query
     * attention.
     */
    LLAMA("llama"),
    /** GPT-J: one LayerNorm feeding parallel attention and MLP, interleaved rotary embeddings on {@code rotary_dim}. */
    GPTJ("gptj"),
    /** GPT-2: learned absolute positions, LayerNorm, {@code Conv1D} weights stored in × out. */
    GPT2("gpt2");

    private final String modelType;

    ModelFamily(String modelType) {
        this.modelType = modelType;
    }

    /**
     * The {@code model_type} value of {@code config.json}.
     *
     * @return {@code llama}, {@code gptj} or {@code gpt2}
     */
    public String modelType() {
        return modelType;
    }

    /**
     * The family of a {@code model_type}.
     *
     * @param value the {@code model_type} of a {@code config.json}, case-sensitive
     * @return the family, or empty for an architecture SARA4J does not implement
     */
    public static Optional<ModelFamily> ofModelType(String value) {
        return Arrays.stream(values()).filter(f -> f.modelType.equals(value)).findFirst();
    }
}
