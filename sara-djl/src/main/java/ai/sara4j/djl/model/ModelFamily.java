package ai.sara4j.djl.model;

import java.util.Arrays;
import java.util.Optional;

/** The decoder-only architectures SARA4J implements, by their Hugging Face {@code model_type}. */
public enum ModelFamily {
    LLAMA("llama"),
    GPTJ("gptj"),
    GPT2("gpt2");

    private final String modelType;

    ModelFamily(String modelType) {
        this.modelType = modelType;
    }

    /** The {@code model_type} value of {@code config.json}. */
    public String modelType() {
        return modelType;
    }

    /** The family whose {@code model_type} is {@code value}, if any. */
    public static Optional<ModelFamily> ofModelType(String value) {
        return Arrays.stream(values()).filter(f -> f.modelType.equals(value)).findFirst();
    }
}
