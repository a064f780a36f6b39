package ai.sara4j.djl.adapter.mosara;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Mo-SARA: frozen top-k singular vectors of each target weight (k from {@code threshold}, or {@code rankPattern}),
 * {@code heads} parallel trainable singular-value vectors mixed by a token-level router, and a trainable output
 * vector v.
 *
 * @param targets target modules
 * @param threshold rank-rule threshold (paper default 0.5, its Figure 5)
 * @param heads number m of parallel singular-value vectors (paper default 5, its Figure 6)
 * @param rankPattern per-module k overrides (PEFT key rule)
 * @param dropout adapter input dropout (paper 0.05)
 * @param seed seed of the random initialisation
 */
public record MoSaraConfig(TargetMatcher targets, double threshold, int heads, Map<String, Integer> rankPattern,
        double dropout, long seed) implements AdapterConfig {
    public static final String METHOD = "mosara";
    public static final double DEFAULT_THRESHOLD = 0.5;
    public static final int DEFAULT_HEADS = 5;

    public MoSaraConfig {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("Mo-SARA threshold must be in (0, 1], got " + threshold);
        }
        if (heads < 1) {
            throw new IllegalArgumentException("Mo-SARA heads must be >= 1, got " + heads);
        }
        rankPattern = Map.copyOf(rankPattern);
    }

    /** Paper defaults for the given targets. */
    public static MoSaraConfig of(TargetMatcher targets) {
        return new MoSaraConfig(targets, DEFAULT_THRESHOLD, DEFAULT_HEADS, Map.of(), 0.05, 42);
    }

    public MoSaraConfig withThreshold(double value) {
        return new MoSaraConfig(targets, value, heads, rankPattern, dropout, seed);
    }

    public MoSaraConfig withHeads(int value) {
        return new MoSaraConfig(targets, threshold, value, rankPattern, dropout, seed);
    }

    public MoSaraConfig withRankPattern(Map<String, Integer> value) {
        return new MoSaraConfig(targets, threshold, heads, value, dropout, seed);
    }

    public MoSaraConfig withDropout(double value) {
        return new MoSaraConfig(targets, threshold, heads, rankPattern, value, seed);
    }

    public MoSaraConfig withSeed(long value) {
        return new MoSaraConfig(targets, threshold, heads, rankPattern, dropout, value);
    }

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public PeftConfig toPeft(Map<String, Integer> ranks) {
        int maxRank = ranks.values().stream().mapToInt(Integer::intValue).max().orElse(1);
        PeftConfig file = PeftConfig.create("MOSARA").r(maxRank).loraAlpha(maxRank).loraDropout(dropout)
                .targetModules(targets).rankPattern(ranks);
        ObjectNode ext = file.extensionOrCreate();
        ext.put("method", METHOD);
        ext.put("threshold", threshold);
        ext.put("heads", heads);
        ext.put("seed", seed);
        return file;
    }

    static MoSaraConfig fromPeft(PeftConfig file) {
        ObjectNode ext = file.extension().orElseThrow();
        return new MoSaraConfig(file.targetModules(), ext.path("threshold").asDouble(DEFAULT_THRESHOLD),
                ext.path("heads").asInt(DEFAULT_HEADS), file.rankPattern(), file.loraDropout(),
                ext.path("seed").asLong(42));
    }
}
