package ai.sara4j.core.peft;

import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.target.TargetMatcher;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face PEFT {@code adapter_config.json}: typed access to the fields PEFT's LoRA family uses, with every
 * other field kept as read so a config survives a read/write round trip.
 *
 * <p>SARA4J's own methods keep their extra fields in an object under the key {@value #EXTENSION_KEY} (for example
 * {@code "sara4j": {"method": "sara", "threshold": 0.05, "init": "random", "seed": 42}}); PEFT ignores it.
 *
 * <p>Per-module overrides follow PEFT ({@code get_pattern_key}): a key of {@code rank_pattern} or
 * {@code alpha_pattern} applies to a module whose dotted name matches the regex {@code (.*\.)?(key)$}; the first
 * matching key (in file order) wins.
 */
public final class PeftConfig {
    /** The file name inside an adapter folder. */
    public static final String FILE_NAME = "adapter_config.json";
    /** The key of the object holding SARA4J's method-specific fields. */
    public static final String EXTENSION_KEY = "sara4j";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ObjectNode root;

    private PeftConfig(ObjectNode root) {
        this.root = root;
    }

    /**
     * A new config with PEFT's defaults for the LoRA fields ({@code r} = 8, {@code lora_alpha} = 8, no dropout,
     * {@code bias} "none", task {@code CAUSAL_LM}, {@code inference_mode} true) and {@code target_modules} null.
     *
     * @param peftType the {@code peft_type}, e.g. {@code LORA}
     * @return a mutable config; set at least {@link #targetModules(TargetMatcher)} before writing it
     */
    public static PeftConfig create(String peftType) {
        ObjectNode root = JSON.createObjectNode();
        root.put("peft_type", peftType);
        root.put("task_type", "CAUSAL_LM");
        root.putNull("base_model_name_or_path");
        root.put("r", 8);
        root.put("lora_alpha", 8);
        root.put("lora_dropout", 0.0);
        root.put("bias", "none");
        root.put("fan_in_fan_out", false);
        root.put("use_rslora", false);
        root.put("use_dora", false);
        root.put("inference_mode", true);
        root.putObject("rank_pattern");
        root.putObject("alpha_pattern");
        root.putNull("target_modules");
        return new PeftConfig(root);
    }

    /**
     * Reads {@code folder/adapter_config.json}, or the file itself if a file is given. Unknown fields are kept.
     *
     * @param location an adapter folder or the config file
     * @return the config as read
     * @throws IOException when the file is missing, is not valid JSON or is not a JSON object (the message names
     *     the file)
     */
    public static PeftConfig read(Path location) throws IOException {
        Path file = Files.isDirectory(location) ? location.resolve(FILE_NAME) : location;
        JsonNode node;
        try {
            node = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IOException(file + ": no adapter config (expected " + FILE_NAME + ")", e);
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!(node instanceof ObjectNode obj)) {
            throw new IOException(file + ": expected a JSON object");
        }
        return new PeftConfig(obj);
    }

    /**
     * Parses a config from JSON text. Unknown fields are kept.
     *
     * @param json the text of an {@code adapter_config.json}
     * @return the config
     * @throws IOException when the text is not valid JSON or not a JSON object
     */
    public static PeftConfig parse(String json) throws IOException {
        JsonNode node = JSON.readTree(json);
        if (!(node instanceof ObjectNode obj)) {
            throw new IOException("adapter config: expected a JSON object");
        }
        return new PeftConfig(obj);
    }

    /**
     * Writes the config as indented JSON to {@code folder/adapter_config.json}, atomically (a temporary file moved
     * into place), replacing any existing file.
     *
     * @param folder the adapter folder, created when missing
     * @throws IOException when the file cannot be written
     */
    public void write(Path folder) throws IOException {
        AtomicFiles.writeString(folder.resolve(FILE_NAME), toJson());
    }

    /**
     * The config as indented JSON, every field in file order (new fields last).
     *
     * @return the JSON text, as {@link #write} stores it
     */
    public String toJson() {
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * PEFT's {@code peft_type}.
     *
     * @return the adapter type, e.g. {@code LORA}, or null when absent
     */
    public String peftType() {
        return text("peft_type", null);
    }

    /**
     * PEFT's {@code task_type}.
     *
     * @return the task, e.g. {@code CAUSAL_LM}, or null when absent
     */
    public String taskType() {
        return text("task_type", null);
    }

    /**
     * Sets PEFT's {@code task_type}.
     *
     * @param value the task, e.g. {@code CAUSAL_LM}
     * @return this config
     */
    public PeftConfig taskType(String value) {
        root.put("task_type", value);
        return this;
    }

    /**
     * PEFT's {@code base_model_name_or_path}: the model the adapter was trained on.
     *
     * @return a Hugging Face model id or a local path, or null when not recorded
     */
    public String baseModelNameOrPath() {
        return text("base_model_name_or_path", null);
    }

    /**
     * Sets PEFT's {@code base_model_name_or_path}.
     *
     * @param value a Hugging Face model id or a local path; null writes JSON null
     * @return this config
     */
    public PeftConfig baseModelNameOrPath(String value) {
        root.put("base_model_name_or_path", value);
        return this;
    }

    /**
     * PEFT's {@code r}: the default rank of every adapted module.
     *
     * @return the rank, 8 (PEFT's default) when absent
     */
    public int r() {
        return root.path("r").asInt(8);
    }

    /**
     * Sets PEFT's {@code r}.
     *
     * @param value the default rank
     * @return this config
     */
    public PeftConfig r(int value) {
        root.put("r", value);
        return this;
    }

    /**
     * PEFT's {@code lora_alpha}: the numerator of the adapter scaling α/r (α/√r with {@link #useRslora()}).
     *
     * @return the default alpha, 8 (PEFT's default) when absent
     */
    public double loraAlpha() {
        return root.path("lora_alpha").asDouble(8);
    }

    /**
     * Sets PEFT's {@code lora_alpha}; an integral value is written as a JSON integer, as PEFT writes it.
     *
     * @param value the default alpha
     * @return this config
     */
    public PeftConfig loraAlpha(double value) {
        putNumber(root, "lora_alpha", value);
        return this;
    }

    /**
     * PEFT's {@code lora_dropout}: the dropout probability applied to the adapter's input.
     *
     * @return the probability in [0, 1), 0 when absent
     */
    public double loraDropout() {
        return root.path("lora_dropout").asDouble(0.0);
    }

    /**
     * Sets PEFT's {@code lora_dropout}.
     *
     * @param value the dropout probability
     * @return this config
     */
    public PeftConfig loraDropout(double value) {
        root.put("lora_dropout", value);
        return this;
    }

    /**
     * PEFT's {@code bias}: which biases are trained along with the adapter.
     *
     * @return "none", "all" or "lora_only"; "none" when absent
     */
    public String bias() {
        return text("bias", "none");
    }

    /**
     * PEFT's {@code fan_in_fan_out}: whether the base weights are stored (in, out), as GPT-2's {@code Conv1D}.
     *
     * @return the flag, false when absent
     */
    public boolean fanInFanOut() {
        return root.path("fan_in_fan_out").asBoolean(false);
    }

    /**
     * PEFT's {@code use_rslora}: rank-stabilised scaling α/√r instead of α/r.
     *
     * @return the flag, false when absent
     */
    public boolean useRslora() {
        return root.path("use_rslora").asBoolean(false);
    }

    /**
     * Sets PEFT's {@code use_rslora}.
     *
     * @param value whether the scaling is α/√r
     * @return this config
     */
    public PeftConfig useRslora(boolean value) {
        root.put("use_rslora", value);
        return this;
    }

    /**
     * PEFT's {@code use_dora}: weight-decomposed LoRA (DoRA), a trained magnitude vector per output row.
     *
     * @return the flag, false when absent
     */
    public boolean useDora() {
        return root.path("use_dora").asBoolean(false);
    }

    /**
     * Sets PEFT's {@code use_dora}.
     *
     * @param value whether the adapter is DoRA
     * @return this config
     */
    public PeftConfig useDora(boolean value) {
        root.put("use_dora", value);
        return this;
    }

    /**
     * The target rules: {@code target_modules} (a list of names or a single regex string; absent or empty is an
     * error) with {@code exclude_modules} (list or regex), {@code layers_to_transform} (an int or a list of ints)
     * and {@code layers_pattern} (a string or a list of strings) when set.
     *
     * @return the matcher the fields describe; unresolved when {@code target_modules} is
     *     {@value TargetMatcher#ALL_LINEAR}
     * @throws IllegalArgumentException when a field has the wrong JSON type or an invalid value (the message names
     *     the file and the field)
     */
    public TargetMatcher targetModules() {
        // a string is a regex, or PEFT's all-linear shorthand
        TargetMatcher targets = nameRule("target_modules", text -> text.equalsIgnoreCase(TargetMatcher.ALL_LINEAR)
                ? TargetMatcher.allLinear() : TargetMatcher.regex(text), TargetMatcher::names);
        if (isSet("exclude_modules")) {
            targets = nameRule("exclude_modules", targets::withExcludeRegex, targets::withExcludeNames);
        }
        try {
            List<Integer> layers = layersToTransform();
            // PEFT ignores layers_pattern when layers_to_transform is [] (but refuses it without layers_to_transform)
            boolean everyLayer = layers.isEmpty() && root.path("layers_to_transform").isArray();
            List<String> patterns = everyLayer ? List.of() : layersPattern();
            if (!layers.isEmpty() || !patterns.isEmpty()) {
                targets = targets.withLayers(layers, patterns);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(FILE_NAME + ": " + e.getMessage(), e);
        }
        return targets;
    }

    /**
     * Sets {@code target_modules}, and {@code exclude_modules}, {@code layers_to_transform} and
     * {@code layers_pattern} when the matcher uses them (a config without them gets no new keys; one that had them
     * gets PEFT's null).
     *
     * @param targets the target rules to store
     * @return this config
     */
    public PeftConfig targetModules(TargetMatcher targets) {
        root.set("target_modules", JSON.valueToTree(targets.peftValue()));
        putOrClear("exclude_modules", targets.excludePeftValue());
        putOrClear("layers_to_transform", targets.layersToTransform().isEmpty() ? null : targets.layersToTransform());
        putOrClear("layers_pattern", targets.layersPattern().isEmpty() ? null : targets.layersPattern());
        return this;
    }

    /** Reads a PEFT name rule field: a string is the regex form, an array of strings the list form. */
    private <T> T nameRule(String field, Function<String, T> regex, Function<List<String>, T> names) {
        JsonNode node = root.path(field);
        try {
            if (node.isTextual()) {
                return regex.apply(node.asText());
            }
            return names.apply(strings(field));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(FILE_NAME + ": " + field + " " + node + ": " + e.getMessage(), e);
        }
    }

    private List<Integer> layersToTransform() {
        JsonNode node = root.path("layers_to_transform");
        List<Integer> layers = new ArrayList<>();
        if (node.isMissingNode() || node.isNull()) {
            return layers;
        }
        if (node.isArray()) {
            node.forEach(n -> layers.add(layerIndex(n)));
        } else {
            layers.add(layerIndex(node));
        }
        return layers;
    }

    private static int layerIndex(JsonNode node) {
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new IllegalArgumentException("layers_to_transform: " + node
                    + " is not a layer index (an int or a list of ints)");
        }
        return node.asInt();
    }

    private List<String> layersPattern() {
        JsonNode node = root.path("layers_pattern");
        if (node.isTextual()) {
            return node.asText().isEmpty() ? List.of() : List.of(node.asText());
        }
        return strings("layers_pattern");
    }

    /** A list-of-strings field; absent or null is an empty list. */
    private List<String> strings(String field) {
        JsonNode node = root.path(field);
        List<String> out = new ArrayList<>();
        if (node.isMissingNode() || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(field + ": expected a string or a list of strings, got " + node);
        }
        for (JsonNode n : node) {
            if (!n.isTextual()) {
                throw new IllegalArgumentException(field + ": " + n + " is not a string");
            }
            out.add(n.asText());
        }
        return out;
    }

    /** Sets {@code field} to {@code value}; a null value becomes JSON null only where the field already exists. */
    private void putOrClear(String field, Object value) {
        if (value != null) {
            root.set(field, JSON.valueToTree(value));
        } else if (root.has(field)) {
            root.putNull(field);
        }
    }

    /**
     * PEFT's {@code rank_pattern}: per-module ranks keyed by a name pattern (see {@link #patternKey}).
     *
     * @return a new map from key to rank, in file order; empty when absent
     */
    public Map<String, Integer> rankPattern() {
        Map<String, Integer> out = new LinkedHashMap<>();
        fields("rank_pattern").forEach((k, v) -> out.put(k, v.asInt()));
        return out;
    }

    /**
     * Replaces PEFT's {@code rank_pattern}.
     *
     * @param pattern per-module ranks keyed by a name pattern, written in the map's iteration order
     * @return this config
     */
    public PeftConfig rankPattern(Map<String, Integer> pattern) {
        ObjectNode node = root.putObject("rank_pattern");
        pattern.forEach(node::put);
        return this;
    }

    /**
     * PEFT's {@code alpha_pattern}: per-module alphas keyed by a name pattern (see {@link #patternKey}).
     *
     * @return a new map from key to alpha, in file order; empty when absent
     */
    public Map<String, Double> alphaPattern() {
        Map<String, Double> out = new LinkedHashMap<>();
        fields("alpha_pattern").forEach((k, v) -> out.put(k, v.asDouble()));
        return out;
    }

    /**
     * Replaces PEFT's {@code alpha_pattern}; integral values are written as JSON integers.
     *
     * @param pattern per-module alphas keyed by a name pattern, written in the map's iteration order
     * @return this config
     */
    public PeftConfig alphaPattern(Map<String, Double> pattern) {
        ObjectNode node = root.putObject("alpha_pattern");
        pattern.forEach((k, v) -> putNumber(node, k, v));
        return this;
    }

    /**
     * The rank PEFT gives a module: its {@code rank_pattern} entry, else {@code r}.
     *
     * @param module the module's full dotted name
     * @return the value of the first matching {@code rank_pattern} key, or {@link #r()}
     */
    public int rankFor(String module) {
        return patternKey(rankPattern().keySet(), module).map(k -> rankPattern().get(k)).orElse(r());
    }

    /**
     * The alpha PEFT gives a module: its {@code alpha_pattern} entry, else {@code lora_alpha}.
     *
     * @param module the module's full dotted name
     * @return the value of the first matching {@code alpha_pattern} key, or {@link #loraAlpha()}
     */
    public double alphaFor(String module) {
        return patternKey(alphaPattern().keySet(), module).map(k -> alphaPattern().get(k)).orElse(loraAlpha());
    }

    /**
     * Whether a field is set in PEFT's sense (used to reject options SARA4J does not support).
     *
     * @param field the JSON key, e.g. {@code use_dora}
     * @return whether it is present with a value other than null, false, an empty list or an empty object
     */
    public boolean isSet(String field) {
        JsonNode node = root.get(field);
        return node != null && !node.isNull() && !(node.isBoolean() && !node.asBoolean())
                && !(node.isContainerNode() && node.isEmpty());
    }

    /**
     * The SARA4J extension object under {@value #EXTENSION_KEY}, which holds a SARA4J method's own fields.
     *
     * @return the live object (changes to it change this config), or empty when absent or not an object
     */
    public Optional<ObjectNode> extension() {
        JsonNode node = root.get(EXTENSION_KEY);
        return node instanceof ObjectNode obj ? Optional.of(obj) : Optional.empty();
    }

    /**
     * The SARA4J extension object under {@value #EXTENSION_KEY}, created empty if absent.
     *
     * @return the live object; fields put into it are written with this config
     */
    public ObjectNode extensionOrCreate() {
        return extension().orElseGet(() -> root.putObject(EXTENSION_KEY));
    }

    /**
     * PEFT's {@code get_pattern_key}: the first key, in order, whose rule {@code (.*\.)?(key)$} matches the whole
     * module name (the key itself is a regex).
     *
     * @param keys the keys of a {@code rank_pattern} or {@code alpha_pattern}, in file order
     * @param module the module's full dotted name
     * @return the first matching key, or empty when none matches
     * @throws java.util.regex.PatternSyntaxException when a key is not a valid regex
     */
    public static Optional<String> patternKey(Iterable<String> keys, String module) {
        for (String key : keys) {
            Matcher m = Pattern.compile("(.*\\.)?(" + key + ")$").matcher(module);
            if (m.matches()) {
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    private Map<String, JsonNode> fields(String key) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        JsonNode node = root.path(key);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private String text(String key, String fallback) {
        JsonNode node = root.get(key);
        return node == null || node.isNull() ? fallback : node.asText();
    }

    /** Integral values are written as JSON integers, as PEFT writes {@code lora_alpha}. */
    private static void putNumber(ObjectNode node, String key, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            node.put(key, (long) value);
        } else {
            node.put(key, value);
        }
    }

    @Override
    public String toString() {
        return "PeftConfig" + root;
    }
}
