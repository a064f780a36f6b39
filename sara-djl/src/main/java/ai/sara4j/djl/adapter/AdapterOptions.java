package ai.sara4j.djl.adapter;

import ai.sara4j.core.target.TargetMatcher;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a user chose on the command line (or in code) for a new adapter, before a method turns it into its own
 * {@link AdapterConfig} ({@link AdapterMethod#configure}). Unset options are empty and the method applies its
 * defaults (the papers'); an option a method does not take is an error naming it.
 *
 * @param targets target modules (PEFT rule)
 * @param r fixed rank (LoRA, SoRA, EDoRA)
 * @param alpha scaling numerator (LoRA, SoRA, EDoRA: s = alpha/r)
 * @param threshold rank-rule threshold (SARA, Mo-SARA)
 * @param ranks per-module ranks already decided, for example by budget matching (SARA, Mo-SARA); empty for none
 * @param heads number of parallel singular-value vectors (Mo-SARA)
 * @param dropout adapter input dropout
 * @param init initialisation variant, method-specific (SARA: {@code random} or {@code zero})
 * @param seed seed of the random initialisation
 * @param extra method-specific options by name (for example SoRA's sparsity strength), from
 *     {@code --method-option key=value}
 */
public record AdapterOptions(TargetMatcher targets, Optional<Integer> r, Optional<Double> alpha, Optional<Double> threshold,
        Map<String, Integer> ranks, Optional<Integer> heads, Optional<Double> dropout, Optional<String> init, long seed,
        Map<String, String> extra) {

    public AdapterOptions {
        ranks = Map.copyOf(ranks);
        extra = Map.copyOf(extra);
    }

    /** Only targets and seed set: every method's defaults. */
    public static AdapterOptions defaults(TargetMatcher targets, long seed) {
        return new AdapterOptions(targets, Optional.empty(), Optional.empty(), Optional.empty(), Map.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), seed, Map.of());
    }

    /**
     * Fails naming the first option that is set but not among {@code taken} (of {@code r}, {@code alpha},
     * {@code threshold}, {@code ranks}, {@code heads}, {@code dropout}, {@code init}), and the first extra option
     * not among {@code extras}.
     */
    public void requireOnly(String method, Set<String> taken, Set<String> extras) {
        Map<String, Boolean> set = new LinkedHashMap<>();
        set.put("r", r.isPresent());
        set.put("alpha", alpha.isPresent());
        set.put("threshold", threshold.isPresent());
        set.put("ranks", !ranks.isEmpty());
        set.put("heads", heads.isPresent());
        set.put("dropout", dropout.isPresent());
        set.put("init", init.isPresent());
        set.forEach((name, present) -> {
            if (present && !taken.contains(name)) {
                throw new IllegalArgumentException("option '" + name + "' does not apply to method " + method);
            }
        });
        for (String key : new TreeSet<>(extra.keySet())) {
            if (!extras.contains(key)) {
                throw new IllegalArgumentException("unknown method option '" + key + "' for method " + method
                        + " (known: " + String.join(", ", new TreeSet<>(extras)) + ")");
            }
        }
    }

    /** The extra option {@code key} as a number, or {@code fallback} when unset; a non-number is an error naming it. */
    public double extraDouble(String key, double fallback) {
        String value = extra.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("method option '" + key + "' must be a number, got '" + value + "'", e);
        }
    }

    /** The extra option {@code key} as an integer, or {@code fallback} when unset. */
    public int extraInt(String key, int fallback) {
        String value = extra.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("method option '" + key + "' must be an integer, got '" + value + "'",
                    e);
        }
    }
}
