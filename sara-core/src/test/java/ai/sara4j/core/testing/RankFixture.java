package ai.sara4j.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float64 rank reference of the TinyStories-656K checkpoint, {@code fixtures/tinystories-ranks.json}, made by
 * {@code tools/fixtures/make_rank_fixtures.py} (its docstring describes the format): per target module the shape,
 * the float64 singular values (descending) and SARA's k for each threshold in {@link #thresholds()}.
 */
public final class RankFixture {
    /** Path of the fixture on the test class path. */
    public static final String RESOURCE = "/fixtures/tinystories-ranks.json";

    /**
     * One module of the reference.
     *
     * @param name module name (weight name minus {@code .weight})
     * @param out rows of the stored weight
     * @param in columns of the stored weight
     * @param singularValues float64 singular values, descending
     * @param ranks k by threshold
     */
    public record Module(String name, long out, long in, double[] singularValues, Map<Double, Integer> ranks) {}

    private final List<String> targets;
    private final List<Double> thresholds;
    private final List<Module> modules;

    private RankFixture(List<String> targets, List<Double> thresholds, List<Module> modules) {
        this.targets = targets;
        this.thresholds = thresholds;
        this.modules = modules;
    }

    /** Reads the fixture from the class path. */
    public static RankFixture load() {
        try (InputStream in = RankFixture.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path");
            }
            JsonNode root = new ObjectMapper().readTree(in);
            List<String> targets = new ArrayList<>();
            root.get("targets").forEach(t -> targets.add(t.asText()));
            List<Double> thresholds = new ArrayList<>();
            root.get("thresholds").forEach(t -> thresholds.add(t.asDouble()));
            List<Module> modules = new ArrayList<>();
            for (JsonNode m : root.get("modules")) {
                JsonNode sv = m.get("singular_values");
                double[] values = new double[sv.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = sv.get(i).asDouble();
                }
                Map<Double, Integer> ranks = new LinkedHashMap<>();
                m.get("k").fields().forEachRemaining(e -> ranks.put(Double.valueOf(e.getKey()), e.getValue().asInt()));
                modules.add(new Module(m.get("name").asText(), m.get("shape").get(0).asLong(),
                        m.get("shape").get(1).asLong(), values, Collections.unmodifiableMap(ranks)));
            }
            return new RankFixture(List.copyOf(targets), List.copyOf(thresholds), List.copyOf(modules));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The target kinds ({@code q_proj}, …, {@code down_proj}). */
    public List<String> targets() {
        return targets;
    }

    /** The thresholds that have a reference k. */
    public List<Double> thresholds() {
        return thresholds;
    }

    /** The modules, sorted by name. */
    public List<Module> modules() {
        return modules;
    }

    /** Singular values by module name. */
    public Map<String, double[]> singularValues() {
        Map<String, double[]> out = new LinkedHashMap<>();
        modules.forEach(m -> out.put(m.name(), m.singularValues().clone()));
        return out;
    }
}
