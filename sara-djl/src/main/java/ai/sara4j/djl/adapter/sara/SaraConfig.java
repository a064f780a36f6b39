package ai.sara4j.djl.adapter.sara;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.OptionChecks;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * SARA: ΔW = U·diag(λ)·V with a rank k per module from the SVD of its weight (SARA Algorithm 1 with
 * {@code threshold}), or given per module in {@code rankPattern} (PEFT key rule), which wins.
 *
 * <pre>{@code
 * SaraConfig config = SaraConfig.builder(TargetMatcher.names("q_proj", "v_proj")).threshold(0.01).build();
 * }</pre>
 *
 * <p>Defaults (the paper's): threshold {@value #DEFAULT_THRESHOLD} (its LLaMA-7B maths setting; the paper uses
 * 0.009–0.09), {@link Init#RANDOM}, dropout {@value #DEFAULT_DROPOUT}, no rank pattern, seed
 * {@value AdapterConfig#DEFAULT_SEED}. Checked at construction: threshold in (0, 1], dropout in [0, 1), every
 * rank_pattern value &gt;= 1.
 */
public final class SaraConfig implements AdapterConfig {
    /** The registry name. */
    public static final String METHOD = "sara";
    /** The paper's threshold for LLaMA-7B on maths. */
    public static final double DEFAULT_THRESHOLD = 0.01;
    /** The paper's adapter dropout. */
    public static final double DEFAULT_DROPOUT = 0.05;
    private static final String OWNER = "SARA";

    /** Initialisation of the trainable factors. */
    public enum Init {
        /** Paper default: U, λ, V all Kaiming-uniform, so ΔW ≠ 0 at step 0. */
        RANDOM,
        /** As RANDOM but U = 0, so ΔW = 0 at step 0 (LoRA-style; U still gets a gradient). */
        ZERO;

        /**
         * The initialisation named {@code name}.
         *
         * @param name {@code random} or {@code zero}, as written in {@code adapter_config.json} and on the command
         *     line (any case)
         * @return the variant
         * @throws IllegalArgumentException naming the value when it is neither
         */
        public static Init parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("SARA init must be 'random' or 'zero', got '" + name + "'", e);
            }
        }
    }

    private final TargetMatcher targets;
    private final double threshold;
    private final Map<String, Integer> rankPattern;
    private final Init init;
    private final double dropout;
    private final long seed;

    private SaraConfig(Builder b) {
        this.targets = b.targets;
        this.threshold = OptionChecks.threshold(OWNER, b.threshold);
        this.rankPattern = OptionChecks.ranks(OWNER, "rank_pattern", b.rankPattern);
        this.init = b.init;
        this.dropout = OptionChecks.dropout(OWNER, b.dropout);
        this.seed = b.seed;
    }

    /**
     * A builder with the paper's defaults for the given targets.
     *
     * @param targets which Linear modules get an adapter
     * @return a new builder
     */
    public static Builder builder(TargetMatcher targets) {
        return new Builder(targets);
    }

    /**
     * The paper's defaults for the given targets.
     *
     * @param targets which Linear modules get an adapter
     * @return the configuration
     */
    public static SaraConfig of(TargetMatcher targets) {
        return builder(targets).build();
    }

    /** {@return a builder holding this configuration, to change some of it} */
    public Builder toBuilder() {
        return builder(targets).threshold(threshold).rankPattern(rankPattern).init(init).dropout(dropout).seed(seed);
    }

    /**
     * This configuration with another rank-rule threshold.
     *
     * @param value rank-rule threshold, in (0, 1]
     * @return a copy with that threshold
     */
    public SaraConfig withThreshold(double value) {
        return toBuilder().threshold(value).build();
    }

    /**
     * This configuration with other per-module k overrides.
     *
     * @param value per-module k overrides (PEFT key rule)
     * @return a copy with that pattern
     */
    public SaraConfig withRankPattern(Map<String, Integer> value) {
        return toBuilder().rankPattern(value).build();
    }

    /**
     * This configuration with another initialisation of U, λ and V.
     *
     * @param value how U, λ, V start
     * @return a copy with that initialisation
     */
    public SaraConfig withInit(Init value) {
        return toBuilder().init(value).build();
    }

    /**
     * This configuration with another adapter input dropout.
     *
     * @param value adapter input dropout, in [0, 1)
     * @return a copy with that dropout
     */
    public SaraConfig withDropout(double value) {
        return toBuilder().dropout(value).build();
    }

    /**
     * This configuration with another seed of the random initialisation.
     *
     * @param value seed of the random initialisation
     * @return a copy with that seed
     */
    public SaraConfig withSeed(long value) {
        return toBuilder().seed(value).build();
    }

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public TargetMatcher targets() {
        return targets;
    }

    /** {@return the fraction of the singular-value sum the k leading values must reach} */
    public double threshold() {
        return threshold;
    }

    /** {@return the per-module k overrides (PEFT key rule)} */
    public Map<String, Integer> rankPattern() {
        return rankPattern;
    }

    /** {@return how U, λ, V start} */
    public Init init() {
        return init;
    }

    @Override
    public double dropout() {
        return dropout;
    }

    @Override
    public long seed() {
        return seed;
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
        return builder(file.targetModules()).threshold(ext.path("threshold").asDouble(DEFAULT_THRESHOLD))
                .rankPattern(file.rankPattern()).init(Init.parse(ext.path("init").asText("random")))
                .dropout(file.loraDropout()).seed(ext.path("seed").asLong(DEFAULT_SEED)).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SaraConfig c && targets.equals(c.targets) && Double.compare(threshold, c.threshold) == 0
                && rankPattern.equals(c.rankPattern) && init == c.init && Double.compare(dropout, c.dropout) == 0
                && seed == c.seed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(targets, threshold, rankPattern, init, dropout, seed);
    }

    @Override
    public String toString() {
        return "SaraConfig[targets=" + targets + ", threshold=" + threshold + ", rankPattern=" + rankPattern
                + ", init=" + init + ", dropout=" + dropout + ", seed=" + seed + "]";
    }

    /** Builds a {@link SaraConfig}; {@link #build()} checks every value and names the option that is out of range. */
    public static final class Builder {
        private final TargetMatcher targets;
        private double threshold = DEFAULT_THRESHOLD;
        private Map<String, Integer> rankPattern = Map.of();
        private Init init = Init.RANDOM;
        private double dropout = DEFAULT_DROPOUT;
        private long seed = DEFAULT_SEED;

        private Builder(TargetMatcher targets) {
            this.targets = Objects.requireNonNull(targets, "targets");
        }

        /**
         * Sets the rank-rule threshold.
         *
         * @param value share of the singular-value sum the k leading values must reach, in (0, 1] (default
         *     {@value SaraConfig#DEFAULT_THRESHOLD})
         * @return this builder
         */
        public Builder threshold(double value) {
            threshold = value;
            return this;
        }

        /**
         * Sets the per-module k overrides (PEFT's {@code rank_pattern}).
         *
         * @param value per-module k overrides (PEFT key rule), each at least 1; they win over the threshold
         *     (default none)
         * @return this builder
         */
        public Builder rankPattern(Map<String, Integer> value) {
            rankPattern = Map.copyOf(value);
            return this;
        }

        /**
         * Sets how U, λ and V start.
         *
         * @param value how U, λ, V start (default {@link Init#RANDOM})
         * @return this builder
         */
        public Builder init(Init value) {
            init = Objects.requireNonNull(value, "init");
            return this;
        }

        /**
         * Sets the adapter input dropout.
         *
         * @param value adapter input dropout, in [0, 1) (default {@value SaraConfig#DEFAULT_DROPOUT})
         * @return this builder
         */
        public Builder dropout(double value) {
            dropout = value;
            return this;
        }

        /**
         * Sets the seed of the random initialisation.
         *
         * @param value seed of the random initialisation (default {@value AdapterConfig#DEFAULT_SEED})
         * @return this builder
         */
        public Builder seed(long value) {
            seed = value;
            return this;
        }

        /**
         * Checks the values and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the option when a value is out of range
         */
        public SaraConfig build() {
            return new SaraConfig(this);
        }
    }
}
