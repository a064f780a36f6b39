package ai.sara4j.djl.adapter.mosara;

import ai.sara4j.core.target.ModulePath;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a {@link GateRecorder} saw: for each Mo-SARA module, the router's gate g = softmax(z·w1·w2) averaged over
 * every token it recorded (batch and length, padding left out), one value per head; the values of a module sum to
 * 1. Immutable; the arrays handed out are copies.
 */
public final class GateStatistics {
    private final int heads;
    private final Map<String, double[]> means;
    private final Map<String, Long> tokens;

    GateStatistics(int heads, Map<String, double[]> means, Map<String, Long> tokens) {
        this.heads = heads;
        this.means = Collections.unmodifiableMap(new LinkedHashMap<>(means));
        this.tokens = Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
    }

    /**
     * The number m of heads (singular-value vectors) each module's router mixes.
     *
     * @return m
     */
    public int heads() {
        return heads;
    }

    /**
     * The modules with recorded gates.
     *
     * @return module paths in model order (modules no forward pass reached are left out)
     */
    public List<String> modules() {
        return List.copyOf(means.keySet());
    }

    /**
     * A module's mean gate.
     *
     * @param module a module path from {@link #modules()}
     * @return the mean of g over the recorded tokens, one value per head (a copy)
     * @throws IllegalArgumentException for a module with no recorded gates
     */
    public double[] mean(String module) {
        return require(module).clone();
    }

    /**
     * How many tokens a module's mean is over.
     *
     * @param module a module path from {@link #modules()}
     * @return the number of non-padding tokens recorded (summed over forward passes)
     * @throws IllegalArgumentException for a module with no recorded gates
     */
    public long tokens(String module) {
        require(module);
        return tokens.get(module);
    }

    /**
     * The means arranged for heatmaps (layers × heads), one per target kind: kind (the module path's last segment,
     * {@code q_proj}) → layer index (its first all-digit segment) → mean gate per head. Modules without a layer
     * index are left out.
     *
     * @return kinds in model order, layers sorted; the arrays are copies
     */
    public Map<String, SortedMap<Integer, double[]>> byKind() {
        Map<String, SortedMap<Integer, double[]>> out = new LinkedHashMap<>();
        means.forEach((module, values) -> {
            OptionalInt layer = ModulePath.layerIndex(module);
            if (layer.isPresent()) {
                out.computeIfAbsent(ModulePath.kind(module), k -> new TreeMap<>())
                        .put(layer.getAsInt(), values.clone());
            }
        });
        return out;
    }

    private double[] require(String module) {
        double[] values = means.get(module);
        if (values == null) {
            throw new IllegalArgumentException("no gates recorded for module '" + module + "' (recorded: "
                    + means.keySet() + ")");
        }
        return values;
    }
}
