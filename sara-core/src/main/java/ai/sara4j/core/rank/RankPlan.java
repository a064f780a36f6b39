package ai.sara4j.core.rank;

import ai.sara4j.core.target.ModulePath;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Per target module of a model: its shape, rank and trainable-parameter count under one method, with totals and
 * the share of the model's parameters. Immutable; made by {@link RankPlanner}.
 */
public final class RankPlan {
    /**
     * One module of the plan.
     *
     * @param name module name as in the checkpoint, minus {@code .weight}
     * @param out output features
     * @param in input features
     * @param k rank: from the threshold for SARA/Mo-SARA, r otherwise
     * @param trainable trainable parameters this module adds
     */
    public record ModuleRank(String name, long out, long in, int k, long trainable) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Method method;
    private final Double threshold;
    private final Integer r;
    private final Integer heads;
    private final List<ModuleRank> modules;
    private final long base;
    private final long trainable;

    RankPlan(Method method, Double threshold, Integer r, Integer heads, List<ModuleRank> modules, long base) {
        this.method = method;
        this.threshold = threshold;
        this.r = r;
        this.heads = heads;
        this.modules = List.copyOf(modules);
        this.base = base;
        this.trainable = modules.stream().mapToLong(ModuleRank::trainable).sum();
    }

    /**
     * The method the plan is for.
     *
     * @return the method whose trainable counts the plan holds
     */
    public Method method() {
        return method;
    }

    /**
     * The threshold of SARA's rank rule.
     *
     * @return the threshold in (0, 1] for SARA and Mo-SARA, or null for fixed-rank methods
     */
    public Double threshold() {
        return threshold;
    }

    /**
     * The fixed rank.
     *
     * @return r for LoRA, SoRA and EDoRA, or null for threshold methods
     */
    public Integer r() {
        return r;
    }

    /**
     * Mo-SARA's number of singular-value vectors.
     *
     * @return m for Mo-SARA, or null for other methods
     */
    public Integer heads() {
        return heads;
    }

    /**
     * The target modules.
     *
     * @return one entry per target module, in checkpoint order (immutable)
     */
    public List<ModuleRank> modules() {
        return modules;
    }

    /**
     * The plan's trainable parameters.
     *
     * @return the sum of the modules' trainable counts
     */
    public long trainable() {
        return trainable;
    }

    /**
     * All parameters of the checkpoint.
     *
     * @return the sum of the element counts of every stored tensor
     */
    public long base() {
        return base;
    }

    /**
     * The trainable share of the model, as papers report it.
     *
     * @return {@link #trainable()} / {@link #base()}, a fraction (not a percentage)
     */
    public double share() {
        return (double) trainable / base;
    }

    /**
     * The rank of each module.
     *
     * @return k by module name, in checkpoint order (unmodifiable)
     */
    public Map<String, Integer> ranks() {
        Map<String, Integer> out = new LinkedHashMap<>();
        modules.forEach(m -> out.put(m.name(), m.k()));
        return Collections.unmodifiableMap(out);
    }

    /**
     * k per layer, one series per target kind, for a chart like the SARA paper's Figure 2: kind (the last name
     * segment, {@code q_proj}) → layer index (the first all-digit segment, {@code model.layers.3...} → 3) → k.
     * Modules without a layer index are left out.
     *
     * @return k by layer index by target kind, both sorted
     */
    public Map<String, SortedMap<Integer, Integer>> ranksByKind() {
        Map<String, SortedMap<Integer, Integer>> out = new TreeMap<>();
        for (ModuleRank m : modules) {
            OptionalInt layer = ModulePath.layerIndex(m.name());
            if (layer.isPresent()) {
                out.computeIfAbsent(ModulePath.kind(m.name()), x -> new TreeMap<>()).put(layer.getAsInt(), m.k());
            }
        }
        return out;
    }

    /**
     * The plan as one line of JSON: {@code {"method":"sara","threshold":0.1,"modules":[{"name":…,"shape":[out,in],
     * "k":26,"trainable":N},…],"trainable":N,"base":N}}; {@code threshold} is null for fixed-rank methods, and
     * {@code r} / {@code heads} follow {@code threshold} when they apply.
     *
     * @return the JSON text, without a line break
     */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("method", method.cliName());
        root.put("threshold", threshold);
        if (r != null) {
            root.put("r", r);
        }
        if (heads != null) {
            root.put("heads", heads);
        }
        ArrayNode list = root.putArray("modules");
        for (ModuleRank m : modules) {
            ObjectNode node = list.addObject();
            node.put("name", m.name());
            node.putArray("shape").add(m.out()).add(m.in());
            node.put("k", m.k());
            node.put("trainable", m.trainable());
        }
        root.put("trainable", trainable);
        root.put("base", base);
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A fixed-width text table for the terminal: a heading with the method and its settings, one row per module
     * (name, shape out×in, k, trainable), then the totals and the trainable share in percent.
     *
     * @return the table, each line ending with the platform line separator
     */
    public String toTable() {
        int nameWidth = Math.max("module".length(), modules.stream().mapToInt(m -> m.name().length()).max().orElse(0));
        String row = "%-" + nameWidth + "s  %11s  %5s  %12s%n";
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "method %s%s%n", method.cliName(), settings()));
        sb.append(String.format(Locale.ROOT, row, "module", "shape", "k", "trainable"));
        for (ModuleRank m : modules) {
            sb.append(String.format(Locale.ROOT, row, m.name(), m.out() + "x" + m.in(), m.k(), m.trainable()));
        }
        sb.append(String.format(Locale.ROOT, row, "total (" + modules.size() + " modules)", "", "", trainable));
        sb.append(String.format(Locale.ROOT, "base parameters %d, trainable share %.4f%%%n", base, 100 * share()));
        return sb.toString();
    }

    private String settings() {
        StringBuilder s = new StringBuilder();
        if (threshold != null) {
            s.append(", threshold ").append(threshold);
        }
        if (r != null) {
            s.append(", r ").append(r);
        }
        if (heads != null) {
            s.append(", heads ").append(heads);
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return "RankPlan[" + method.cliName() + settings() + ", " + modules.size() + " modules, trainable "
                + trainable + " of " + base + "]";
    }
}
