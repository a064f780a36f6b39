package ai.sara4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Shapes of well-known models, for building random-weight models in benchmarks ({@link ModelLoader#random}) without
 * their checkpoints: each preset is the model's Hugging Face {@code config.json} (the fields that set the shape),
 * kept in {@code presets.json} beside this class and read by {@link ModelConfig#parse}, so a preset is exactly what
 * loading the model would build.
 */
public final class ModelPresets {
    private static final String RESOURCE = "presets.json";
    private static final Map<String, ModelConfig> PRESETS = read();

    private ModelPresets() {}

    private static Map<String, ModelConfig> read() {
        Map<String, ModelConfig> presets = new LinkedHashMap<>();
        try (InputStream in = ModelPresets.class.getResourceAsStream(RESOURCE)) {
            JsonNode root = new ObjectMapper().readTree(in);
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                presets.put(e.getKey(), ModelConfig.parse(e.getValue(), RESOURCE + " " + e.getKey()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model presets " + RESOURCE, e);
        }
        return presets;
    }

    /**
     * The names of the presets.
     *
     * @return {@code llama-7b}, {@code llama-13b}, {@code tinyllama-1.1b}, {@code gpt-j-6b}, {@code gpt2},
     *     {@code mistral-7b}, {@code qwen2.5-7b}, {@code qwen3-8b}, {@code gemma-7b}, {@code gemma-2-9b},
     *     {@code phi-3-mini-4k}, {@code pythia-6.9b} and {@code olmo-2-7b}, in that order
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
