package ai.sara4j.djl.recipe;

import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterMethods;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.train.TrainingOptions;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One paper's hyperparameters for one method, task and model, as a named preset ({@link Recipes}). It holds only
 * the values its source prints; what the source leaves open is unset, so the defaults of {@link TrainingOptions} and
 * of the method's configuration apply, and {@link #notes()} says so.
 *
 * <p>Applying it gives builders pre-filled with its values, so code can override any of them:
 * <pre>{@code
 * Recipe recipe = Recipes.named("mosara-e2e");
 * AdapterConfig config = recipe.adapterConfig(TargetMatcher.names("q_proj", "v_proj"));
 * TrainingOptions options = recipe.trainingOptions().learningRate(1e-2).build();
 * }</pre>
 */
public final class Recipe {
    /** The adapter values a recipe can set, by {@link AdapterOptions.Builder} name. */
    public static final List<String> ADAPTER_KEYS = List.of("r", "alpha", "threshold", "heads", "dropout");
    /** The training values a recipe can set, by {@link TrainingOptions.Builder} name. */
    public static final List<String> TRAINING_KEYS = List.of("learningRate", "epochs", "batchSize", "warmupSteps",
            "weightDecay", "labelSmoothing", "maxGradNorm", "seed");
    /** The keys whose values are whole numbers. */
    private static final Set<String> WHOLE = Set.of("r", "heads", "epochs", "batchSize", "warmupSteps", "seed");

    private final String name;
    private final String method;
    private final String task;
    private final String model;
    private final String source;
    private final List<String> targets;
    private final Map<String, Number> adapter;
    private final Map<String, Number> training;
    private final Map<String, String> methodOptions;
    private final List<String> notes;

    private Recipe(Builder b) {
        this.name = b.name;
        this.method = b.method;
        this.task = b.task;
        this.model = b.model;
        this.source = b.source;
        this.targets = List.copyOf(b.targets);
        this.adapter = inOrder(ADAPTER_KEYS, b.adapter);
        this.training = inOrder(TRAINING_KEYS, b.training);
        this.methodOptions = Collections.unmodifiableMap(new LinkedHashMap<>(b.methodOptions));
        this.notes = List.copyOf(b.notes);
    }

    /** The values in key order, whatever order the file lists them in. */
    private static Map<String, Number> inOrder(List<String> keys, Map<String, Number> values) {
        Map<String, Number> out = new LinkedHashMap<>();
        keys.stream().filter(values::containsKey).forEach(k -> out.put(k, values.get(k)));
        return Collections.unmodifiableMap(out);
    }

    static Builder builder(String name) {
        return new Builder(name);
    }

    /** {@return the preset's name, e.g. {@code sara-e2e}} */
    public String name() {
        return name;
    }

    /** {@return the adapter method's registry name ({@code lora}, {@code sara}, {@code mosara}, {@code sora}, {@code edora})} */
    public String method() {
        return method;
    }

    /** {@return the task the source tuned it for ({@code math}, {@code commonsense}, {@code e2e}, {@code glue})} */
    public String task() {
        return task;
    }

    /** {@return the model the source tuned it for, e.g. {@code LLaMA-7B}} */
    public String model() {
        return model;
    }

    /** {@return where the values come from: paper and table, or code and file} */
    public String source() {
        return source;
    }

    /** {@return the target modules the source adapts (PEFT names), empty when it names none for decoder models} */
    public List<String> targets() {
        return targets;
    }

    /** {@return the adapter values the source gives, by {@link AdapterOptions.Builder} name, in {@link #ADAPTER_KEYS} order} */
    public Map<String, Number> adapterValues() {
        return adapter;
    }

    /** {@return the training values the source gives, by {@link TrainingOptions.Builder} name, in {@link #TRAINING_KEYS} order} */
    public Map<String, Number> trainingValues() {
        return training;
    }

    /** {@return the method-specific options (as {@code --method-option key=value}), e.g. SoRA's {@code xi}} */
    public Map<String, String> methodOptions() {
        return methodOptions;
    }

    /** {@return what the source leaves open or how a printed value was read, one sentence each} */
    public List<String> notes() {
        return notes;
    }

    /**
     * The value the source gives for {@code key}.
     *
     * @param key one of {@link #ADAPTER_KEYS} or {@link #TRAINING_KEYS}
     * @return the value, empty when the source gives none
     * @throws IllegalArgumentException for a key that is neither
     */
    public Optional<Number> value(String key) {
        if (!ADAPTER_KEYS.contains(key) && !TRAINING_KEYS.contains(key)) {
            throw new IllegalArgumentException("unknown recipe value '" + key + "' (known: " + ADAPTER_KEYS + ", "
                    + TRAINING_KEYS + ")");
        }
        return Optional.ofNullable(adapter.containsKey(key) ? adapter.get(key) : training.get(key));
    }

    /**
     * The training values this recipe leaves unset, with the {@link TrainingOptions} default that then applies.
     *
     * @return builder name to the default value (whole numbers as {@code Long}), in {@link #TRAINING_KEYS} order
     */
    public Map<String, Number> trainingDefaults() {
        TrainingOptions d = TrainingOptions.builder().build();
        Map<String, Number> all = Map.of("learningRate", d.learningRate(), "epochs", (long) d.epochs(),
                "batchSize", (long) d.batchSize(), "warmupSteps", d.warmupSteps(), "weightDecay", d.weightDecay(),
                "labelSmoothing", d.labelSmoothing(), "maxGradNorm", d.maxGradNorm(), "seed", d.seed());
        Map<String, Number> out = new LinkedHashMap<>();
        TRAINING_KEYS.stream().filter(k -> !training.containsKey(k)).forEach(k -> out.put(k, all.get(k)));
        return out;
    }

    /**
     * Training options holding this recipe's values; what it leaves unset keeps {@link TrainingOptions#builder()}'s
     * default (see {@link #trainingDefaults()}: a recipe without a learning rate keeps 3e-3).
     *
     * @return a new builder, to override values and build
     */
    public TrainingOptions.Builder trainingOptions() {
        TrainingOptions.Builder b = TrainingOptions.builder();
        training.forEach((key, value) -> {
            switch (key) {
                case "learningRate" -> b.learningRate(value.doubleValue());
                case "epochs" -> b.epochs(value.intValue());
                case "batchSize" -> b.batchSize(value.intValue());
                case "warmupSteps" -> b.warmupSteps(value.longValue());
                case "weightDecay" -> b.weightDecay(value.doubleValue());
                case "labelSmoothing" -> b.labelSmoothing(value.doubleValue());
                case "maxGradNorm" -> b.maxGradNorm(value.doubleValue());
                case "seed" -> b.seed(value.longValue());
                default -> throw new IllegalStateException("recipe " + name + ": training value " + key);
            }
        });
        return b;
    }

    /**
     * Adapter options holding this recipe's values and method options on {@code targets}, with the recipe's seed
     * (when it gives one) as the initialisation seed; {@code AdapterMethods.byName(method()).configure(...)} applies
     * the method's defaults to the rest.
     *
     * @param targets the modules to adapt
     * @return a new builder, to override values and build
     */
    public AdapterOptions.Builder adapterOptions(TargetMatcher targets) {
        AdapterOptions.Builder b = AdapterOptions.builder(targets).extra(methodOptions);
        adapter.forEach((key, value) -> {
            switch (key) {
                case "r" -> b.r(value.intValue());
                case "alpha" -> b.alpha(value.doubleValue());
                case "threshold" -> b.threshold(value.doubleValue());
                case "heads" -> b.heads(value.intValue());
                case "dropout" -> b.dropout(value.doubleValue());
                default -> throw new IllegalStateException("recipe " + name + ": adapter value " + key);
            }
        });
        Optional.ofNullable(training.get("seed")).ifPresent(seed -> b.seed(seed.longValue()));
        return b;
    }

    /**
     * Adapter options on the recipe's own {@link #targets()}.
     *
     * @return a new builder, as {@link #adapterOptions(TargetMatcher)}
     * @throws IllegalStateException when the recipe names no targets (pass them to
     *     {@link #adapterOptions(TargetMatcher)})
     */
    public AdapterOptions.Builder adapterOptions() {
        if (targets.isEmpty()) {
            throw new IllegalStateException("recipe " + name + " names no target modules for a decoder; pass them:"
                    + " adapterOptions(targets)");
        }
        return adapterOptions(TargetMatcher.names(targets));
    }

    /**
     * The method's configuration with this recipe's values on {@code targets} (the method's defaults for the rest).
     *
     * @param targets the modules to adapt
     * @return the configuration of {@link #method()}
     */
    public AdapterConfig adapterConfig(TargetMatcher targets) {
        return AdapterMethods.byName(method).configure(adapterOptions(targets).build());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Recipe other && name.equals(other.name) && method.equals(other.method)
                && task.equals(other.task) && model.equals(other.model) && source.equals(other.source)
                && targets.equals(other.targets) && adapter.equals(other.adapter) && training.equals(other.training)
                && methodOptions.equals(other.methodOptions) && notes.equals(other.notes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, method, task, model, source, targets, adapter, training, methodOptions, notes);
    }

    @Override
    public String toString() {
        return "Recipe[" + name + ": " + method + ", " + task + ", " + model + ", " + source + ", " + adapter + ", "
                + training + (methodOptions.isEmpty() ? "" : ", " + methodOptions) + "]";
    }

    /** Collects a recipe read from the data file; {@link #build()} checks it. */
    static final class Builder {
        private final String name;
        private String method;
        private String task;
        private String model;
        private String source;
        private List<String> targets = List.of();
        private final Map<String, Number> adapter = new LinkedHashMap<>();
        private final Map<String, Number> training = new LinkedHashMap<>();
        private Map<String, String> methodOptions = Map.of();
        private List<String> notes = List.of();

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        Builder method(String value) {
            method = value;
            return this;
        }

        Builder task(String value) {
            task = value;
            return this;
        }

        Builder model(String value) {
            model = value;
            return this;
        }

        Builder source(String value) {
            source = value;
            return this;
        }

        Builder targets(List<String> value) {
            targets = value;
            return this;
        }

        Builder methodOptions(Map<String, String> value) {
            methodOptions = value;
            return this;
        }

        Builder notes(List<String> value) {
            notes = value;
            return this;
        }

        Builder adapterValue(String key, double value) {
            adapter.put(key, number("adapter", ADAPTER_KEYS, key, value));
            return this;
        }

        Builder trainingValue(String key, double value) {
            training.put(key, number("training", TRAINING_KEYS, key, value));
            return this;
        }

        /** The value as a whole number where the key takes one; an unknown key or a fraction is an error. */
        private Number number(String section, List<String> keys, String key, double value) {
            if (!keys.contains(key)) {
                throw new IllegalArgumentException("recipe " + name + ": unknown " + section + " value '" + key
                        + "' (known: " + String.join(", ", keys) + ")");
            }
            if (!WHOLE.contains(key)) {
                return value;
            }
            if (value != Math.rint(value) || Math.abs(value) > 1e15) {
                throw new IllegalArgumentException("recipe " + name + ": " + key + " must be a whole number, got "
                        + value);
            }
            return (long) value;
        }

        /** Checks every field and that the values make a valid configuration and valid training options. */
        Recipe build() {
            require("method", method);
            require("task", task);
            require("model", model);
            require("source", source);
            Recipe recipe = new Recipe(this);
            try {
                recipe.adapterConfig(TargetMatcher.names("q_proj", "v_proj"));
                recipe.trainingOptions().build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("recipe " + name + ": " + e.getMessage(), e);
            }
            return recipe;
        }

        private void require(String field, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("recipe " + name + ": no " + field);
            }
        }
    }
}
