package ai.sara4j.djl.adapter;

import ai.sara4j.core.target.TargetMatcher;
import java.util.Map;
import java.util.Optional;

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
}
