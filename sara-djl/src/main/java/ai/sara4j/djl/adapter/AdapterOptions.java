package ai.sara4j.djl.adapter;

import ai.sara4j.core.target.TargetMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
     * Refuses every option that is set but not in {@code taken} (names as on the command line: {@code r},
     * {@code alpha}, {@code threshold}, {@code ranks}, {@code heads}, {@code init}), and every {@code extra} key not in
     * {@code extraTaken}, with an error naming the options and the method.
     */
    public void requireOnly(String method, Set<String> taken, Set<String> extraTaken) {
        List<String> refused = new ArrayList<>();
        check(refused, taken, "r", r.isPresent());
        check(refused, taken, "alpha", alpha.isPresent());
        check(refused, taken, "threshold", threshold.isPresent());
        check(refused, taken, "ranks", !ranks.isEmpty());
        check(refused, taken, "heads", heads.isPresent());
        check(refused, taken, "init", init.isPresent());
        extra.keySet().stream().filter(k -> !extraTaken.contains(k)).sorted().forEach(k -> refused.add("option " + k));
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException("method " + method + " does not take " + String.join(", ", refused)
                    + " (it takes " + (taken.isEmpty() ? "none of them" : String.join(", ", taken.stream().sorted().toList()))
                    + (extraTaken.isEmpty() ? "" : "; options " + String.join(", ", extraTaken.stream().sorted().toList()))
                    + ")");
        }
    }

    private static void check(List<String> refused, Set<String> taken, String name, boolean set) {
        if (set && !taken.contains(name)) {
            refused.add(name);
        }
    }
}
