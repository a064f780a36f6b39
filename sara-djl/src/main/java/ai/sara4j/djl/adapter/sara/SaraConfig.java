package ai.sara4j.djl.adapter.sara;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;

/**
 * SARA: ΔW = U·diag(λ)·V with a rank k per module from the SVD of its weight (SARA Algorithm 1 with
 * {@code threshold}), or given per module in {@code rankPattern} (PEFT key rule), which wins.
 *
 * @param targets target modules
 * @param threshold fraction of the singular-value sum the k leading values must reach (paper: 0.009–0.09; 0.01
 *     for LLaMA-7B maths, the default)
 * @param rankPattern per-module k overrides
 * @param init how U, λ, V start
 * @param dropout adapter input dropout (paper 0.05)
 * @param seed seed of the random initialisation
 */
public record SaraConfig(TargetMatcher targets, double threshold, Map<String, Integer> rankPattern, Init init,
        double dropout, long seed) implements AdapterConfig {
    public static final String METHOD = "sara";
    public static final double DEFAULT_THRESHOLD = 0.01;
    public static final double DEFAULT_DROPOUT = 0.05;

    /** Initialisation of the trainable factors. */
    public enum Init {
        /** Paper default: U, λ, V all Kaiming-uniform, so ΔW ≠ 0 at step 0. */
        RANDOM,
        /** As RANDOM but U = 0, so ΔW = 0 at step 0 (LoRA-style; U still gets a gradient). */
        ZERO;

        /** {@code random} or {@code zero}, as written in {@code adapter_config.json} and on the command line. */
        public static Init parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("SARA init must be 'random' or 'zero', got '" + name + "'", e);
            }
        }
    }

    public SaraConfig {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("SARA threshold must be in (0, 1], got " + threshold);
        }
        rankPattern = Map.copyOf(rankPattern);
    }

    /** Paper defaults for the given targets. */
    public static SaraConfig of(TargetMatcher targets) {
        return new SaraConfig(targets, DEFAULT_THRESHOLD, Map.of(), Init.RANDOM, DEFAULT_DROPOUT, 42);
    }

    public SaraConfig withThreshold(double value) {
        return new SaraConfig(targets, value, rankPattern, init, dropout, seed);
    }

    public SaraConfig withRankPattern(Map<String, Integer> value) {
        return new SaraConfig(targets, threshold, value, init, dropout, seed);
    }

    public SaraConfig withInit(Init value) {
        return new SaraConfig(targets, threshold, rankPattern, value, dropout, seed);
    }

    public SaraConfig withDropout(double value) {
        return new SaraConfig(targets, threshold, rankPattern, init, value, seed);
    }

    public SaraConfig withSeed(long value) {
        return new SaraConfig(targets, threshold, rankPattern, init, dropout, value);
    }

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public PeftConfig toPeft(Map<String, Integer> ranks) {
        int maxRank = ranks.values().stream().mapToInt(Integer::intValue).max().orElse(1);
        PeftConfig file = PeftConfig.create("SARA").r(maxRank).loraAlpha(maxRank).loraDropout(dropout)
                .targetModules(targets).rankPattern(ranks);
        ObjectNode ext = file.extensionOrCreate();
        ext.put("method", METHOD);
        ext.put("threshold", threshold);
        ext.put("init", init.name().toLowerCase(Locale.ROOT));
        ext.put("seed", seed);
        return file;
    }

    static SaraConfig fromPeft(PeftConfig file) {
        ObjectNode ext = file.extension().orElseThrow();
        Init init = Init.parse(ext.path("init").asText("random"));
        return new SaraConfig(file.targetModules(), ext.path("threshold").asDouble(DEFAULT_THRESHOLD),
                file.rankPattern(), init, file.loraDropout(),
                ext.path("seed").asLong(42));
    }
}
