package ai.sara4j.examples;

import ai.sara4j.djl.recipe.Recipe;
import ai.sara4j.djl.recipe.Recipes;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./sara recipes}: the named presets of the papers' hyperparameters, for {@code finetune --recipe}. */
@Command(name = "recipes", mixinStandardHelpOptions = true,
        description = "List the papers' recipes (named presets for ./sara finetune --recipe NAME): method, task, model,"
                + " source table and the values as options; what a source leaves open keeps the default.")
final class RecipesCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "NAME", description = "Only these recipes (default: all).")
    List<String> names = new ArrayList<>();

    @Option(names = "--json", description = "Print the recipes as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<Recipe> recipes = names.isEmpty() ? Recipes.all() : names.stream().map(Recipes::named).toList();
        System.out.print(json ? toJson(recipes) : table(recipes));
        return 0;
    }

    /** A row per recipe (name, method, task, model, source, values as options), then what each leaves open. */
    static String table(List<Recipe> recipes) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "METHOD", "TASK", "MODEL", "SOURCE", "VALUES"});
        for (Recipe r : recipes) {
            rows.add(new String[] {r.name(), r.method(), r.task(), r.model(), r.source(), options(r)});
        }
        int[] width = new int[5];
        rows.forEach(row -> {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        });
        StringBuilder out = new StringBuilder();
        for (String[] row : rows) {
            for (int i = 0; i < width.length; i++) {
                out.append(String.format(Locale.ROOT, "%-" + width[i] + "s  ", row[i]));
            }
            out.append(row[5]).append('\n');
        }
        out.append("\nLeft open by the source (the default applies) and notes:\n");
        for (Recipe r : recipes) {
            List<String> parts = new ArrayList<>();
            if (!r.trainingDefaults().isEmpty()) {
                parts.add("defaults " + flags(r.trainingDefaults()));
            }
            parts.addAll(r.notes());
            out.append(r.name()).append(": ").append(String.join("; ", parts)).append('\n');
        }
        out.append("\nUse: ./sara finetune --recipe NAME --model DIR --data FILE --out RUN [options that override]\n");
        return out.toString();
    }

    /** The recipe's values as the {@code finetune} options that set them. */
    static String options(Recipe r) {
        List<String> parts = new ArrayList<>();
        r.adapterValues().forEach((k, v) -> parts.add(flag(k) + " " + number(v)));
        r.methodOptions().forEach((k, v) -> parts.add("--method-option " + k + "=" + v));
        r.trainingValues().forEach((k, v) -> parts.add(flag(k) + " " + number(v)));
        return String.join(" ", parts);
    }

    private static String flags(Map<String, Number> values) {
        List<String> parts = new ArrayList<>();
        // finetune refuses a recipe without a learning rate rather than take the SARA rate of TrainingOptions
        values.forEach((k, v) -> parts.add(k.equals("learningRate") ? "no --lr (pass one)" : flag(k) + " " + number(v)));
        return String.join(" ", parts);
    }

    /** The {@code finetune} option of a recipe value: the training options' flags, else {@code --key}. */
    private static String flag(String key) {
        return FinetuneCommand.FLAGS.getOrDefault(key, "--" + key);
    }

    /** A value as written in the papers, without a binary-fraction tail: 0.008, not 0.008000000000000001. */
    static String number(Number value) {
        if (value instanceof Long || value instanceof Integer) {
            return value.toString();
        }
        return new BigDecimal(Double.toString(value.doubleValue())).stripTrailingZeros().toPlainString();
    }

    private static String toJson(List<Recipe> recipes) throws Exception {
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (Recipe r : recipes) {
            ObjectNode node = array.addObject().put("name", r.name()).put("method", r.method()).put("task", r.task())
                    .put("model", r.model()).put("source", r.source());
            r.targets().forEach(node.putArray("targets")::add);
            node.set("adapter", Json.MAPPER.valueToTree(r.adapterValues()));
            node.set("methodOptions", Json.MAPPER.valueToTree(r.methodOptions()));
            node.set("training", Json.MAPPER.valueToTree(r.trainingValues()));
            ObjectNode defaults = node.putObject("defaults");
            r.trainingDefaults().forEach((k, v) -> {
                if (k.equals("learningRate")) {
                    defaults.putNull(k); // finetune --recipe needs --lr then
                } else {
                    defaults.set(k, Json.MAPPER.valueToTree(v));
                }
            });
            r.notes().forEach(node.putArray("notes")::add);
            node.put("options", options(r));
        }
        return Json.MAPPER.writeValueAsString(array) + "\n";
    }
}
