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
    GPT2("gpt2"),
    /** Mistral: LLaMA with sliding-window attention ({@code sliding_window}) on every layer. */
    MISTRAL("mistral"),
    /**
     * Qwen2 / Qwen2.5: LLaMA with biases on the query, key and value projections (not the output), optional
     * sliding windows on the layers from {@code max_window_layers} on.
     */
    QWEN2("qwen2"),
    /** Qwen3: LLaMA with a per-head RMSNorm on queries and keys before the rotation, explicit {@code head_dim}. */
    QWEN3("qwen3"),
    /** Gemma: GeGLU MLP, RMSNorm scaling by (1 + w) in float32, embeddings scaled by √hidden, tied head. */
    GEMMA("gemma"),
    /**
     * Gemma 2: Gemma with norms before and after both attention and MLP, soft-capped attention scores and logits,
     * alternating sliding-window layers and the score scaling {@code query_pre_attn_scalar}.
     */
    GEMMA2("gemma2"),
    /** Phi-3: LLaMA with fused {@code qkv_proj} and {@code gate_up_proj}, optional sliding window and partial rope. */
    PHI3("phi3"),
    /**
     * GPT-NeoX / Pythia: LayerNorm, fused {@code query_key_value} interleaved per head, partial rotary
     * ({@code rotary_pct}), parallel or sequential residual.
     */
    GPT_NEOX("gpt_neox"),
    /** OLMo 2: norms after attention and MLP (none before), RMSNorm on the whole query and key projections. */
    OLMO2("olmo2");

    private final String modelType;

    ModelFamily(String modelType) {
        this.modelType = modelType;
    }

    /**
     * The {@code model_type} value of {@code config.json}.
     *
     * @return e.g. {@code llama}, {@code gpt_neox}
     */
    public String modelType() {
        return modelType;
    }

    /**
     * Every supported {@code model_type}, for messages.
     *
     * @return the values joined by ", "
     */
    public static String supportedTypes() {
        return String.join(", ", Arrays.stream(values()).map(ModelFamily::modelType).toList());
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
