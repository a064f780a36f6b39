package ai.sara4j.djl.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The named presets: the SARA paper's Tables 5–7 (maths on LLaMA-7B/13B and GPT-J, commonsense on LLaMA-7B/13B,
 * E2E on GPT-2 Medium; SARA, Mo-SARA and the LoRA baseline) and the SoRA and EDoRA code's GLUE settings, read once
 * from the resource {@value #RESOURCE}.
 *
 * <pre>{@code
 * Recipe recipe = Recipes.named("sara-e2e");
 * for (Recipe r : Recipes.all()) { System.out.println(r.name() + ": " + r.source()); }
 * }</pre>
 */
public final class Recipes {
    /** The data file, on the class path. */
    public static final String RESOURCE = "ai/sara4j/djl/recipe/recipes.json";
    private static final Set<String> FIELDS = Set.of("name", "method", "task", "model", "source", "targets",
            "adapter", "training", "methodOptions", "notes");

    private Recipes() {}

    /** Loaded on first use (the holder idiom). */
    private static final class Loaded {
        private static final List<Recipe> ALL = load();
    }

    /**
     * Every recipe, in the data file's order (by source table, then model, then method).
     *
     * @return the recipes
     */
    public static List<Recipe> all() {
        return Loaded.ALL;
    }

    /**
     * The names of all recipes.
     *
     * @return the names, in {@link #all()} order
     */
    public static List<String> names() {
        return all().stream().map(Recipe::name).toList();
    }

    /**
     * The recipe called {@code name}.
     *
     * @param name a recipe's name, e.g. {@code sara-e2e}
     * @return the recipe, empty when there is none of that name
     */
    public static Optional<Recipe> find(String name) {
        return all().stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /**
     * The recipe called {@code name}.
     *
     * @param name a recipe's name, e.g. {@code sara-e2e}
     * @return the recipe
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Recipe named(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown recipe '" + name + "' (known: "
                + String.join(", ", names()) + ")"));
    }

    private static List<Recipe> load() {
        try (InputStream in = Recipes.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            return parse(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(RESOURCE + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** The recipes of a parsed data file; a missing or unknown field, or a duplicate name, is an error naming it. */
    static List<Recipe> parse(JsonNode root) {
        Map<String, Recipe> byName = new LinkedHashMap<>();
        for (JsonNode node : root.path("recipes")) {
            String name = node.path("name").asText("");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a recipe without a name: " + node);
            }
            for (Iterator<String> fields = node.fieldNames(); fields.hasNext(); ) {
                String field = fields.next();
                if (!FIELDS.contains(field)) {
                    throw new IllegalArgumentException("recipe " + name + ": unknown field '" + field + "'");
                }
            }
            Recipe.Builder b = Recipe.builder(name).method(text(node, "method")).task(text(node, "task"))
                    .model(text(node, "model")).source(text(node, "source")).targets(texts(node.path("targets")))
                    .notes(texts(node.path("notes")));
            Map<String, String> methodOptions = new LinkedHashMap<>();
            node.path("methodOptions").fields().forEachRemaining(e -> methodOptions.put(e.getKey(), e.getValue().asText()));
            b.methodOptions(methodOptions);
            numbers(name, node.path("adapter"), b::adapterValue);
            numbers(name, node.path("training"), b::trainingValue);
            if (byName.put(name, b.build()) != null) {
                throw new IllegalArgumentException("two recipes named " + name);
            }
        }
        return List.copyOf(byName.values());
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() ? value.asText() : null;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }

    private static void numbers(String name, JsonNode values, BiConsumer<String, Double> sink) {
        values.fields().forEachRemaining(e -> {
            if (!e.getValue().isNumber()) {
                throw new IllegalArgumentException("recipe " + name + ": " + e.getKey() + " must be a number, got "
                        + e.getValue());
            }
            sink.accept(e.getKey(), e.getValue().asDouble());
        });
    }
}
