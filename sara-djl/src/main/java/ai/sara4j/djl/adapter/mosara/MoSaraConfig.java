package ai.sara4j.djl.adapter.mosara;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.OptionChecks;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Objects;

/**
 * Mo-SARA: frozen top-k singular vectors of each target weight (k from {@code threshold}, or {@code rankPattern}),
 * {@code heads} parallel trainable singular-value vectors mixed by a token-level router, and a trainable output
 * vector v.
 *
 * <pre>{@code
 * MoSaraConfig config = MoSaraConfig.builder(TargetMatcher.names("q_proj", "v_proj")).threshold(0.5).heads(5).build();
 * }</pre>
 *
 * <p>Defaults (the paper's): threshold {@value #DEFAULT_THRESHOLD} (its Figure 5), heads {@value #DEFAULT_HEADS}
 * (its Figure 6), dropout {@value #DEFAULT_DROPOUT}, no rank pattern, seed {@value AdapterConfig#DEFAULT_SEED}.
 * Checked at construction: threshold in (0, 1], heads &gt;= 1, dropout in [0, 1), every rank_pattern value &gt;= 1.
 */
public final class MoSaraConfig implements AdapterConfig {
    /** The registry name. */
    public static final String METHOD = "mosara";
    /** The paper's threshold (its Figure 5). */
    public static final double DEFAULT_THRESHOLD = 0.5;
    /** The paper's number of singular-value vectors (its Figure 6). */
    public static final int DEFAULT_HEADS = 5;
    /** The paper's adapter dropout. */
    public static final double DEFAULT_DROPOUT = 0.05;
    private static final String OWNER = "Mo-SARA";

    private final TargetMatcher targets;
    private final double threshold;
    private final int heads;
    private final Map<String, Integer> rankPattern;
    private final double dropout;
    private final long seed;

    private MoSaraConfig(Builder b) {
        this.targets = b.targets;
        this.threshold = OptionChecks.threshold(OWNER, b.threshold);
        this.heads = OptionChecks.atLeastOne(OWNER, "heads", b.heads);
        this.rankPattern = OptionChecks.ranks(OWNER, "rank_pattern", b.rankPattern);
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
    public static MoSaraConfig of(TargetMatcher targets) {
        return builder(targets).build();
    }

    /** {@return a builder holding this configuration, to change some of it} */
    public Builder toBuilder() {
        return builder(targets).threshold(threshold).heads(heads).rankPattern(rankPattern).dropout(dropout)
                .seed(seed);
    }

    /**
     * This configuration with another rank-rule threshold.
     *
     * @param value rank-rule threshold, in (0, 1]
     * @return a copy with that threshold
     */
    public MoSaraConfig withThreshold(double value) {
        return toBuilder().threshold(value).build();
    }

    /**
     * This configuration with another number m of singular-value vectors.
     *
     * @param value number of parallel singular-value vectors, at least 1
     * @return a copy with that many
     */
    public MoSaraConfig withHeads(int value) {
        return toBuilder().heads(value).build();
    }

    /**
     * This configuration with other per-module k overrides.
     *
     * @param value per-module k overrides (PEFT key rule)
     * @return a copy with that pattern
     */
    public MoSaraConfig withRankPattern(Map<String, Integer> value) {
        return toBuilder().rankPattern(value).build();
    }

    /**
     * This configuration with another adapter input dropout.
     *
     * @param value adapter input dropout, in [0, 1)
     * @return a copy with that dropout
     */
    public MoSaraConfig withDropout(double value) {
        return toBuilder().dropout(value).build();
    }

    /**
     * This configuration with another seed of the random initialisation.
     *
     * @param value seed of the random initialisation
     * @return a copy with that seed
     */
    public MoSaraConfig withSeed(long value) {
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

    /** {@return the rank-rule threshold} */
    public double threshold() {
        return threshold;
    }

    /** {@return the number m of parallel singular-value vectors} */
    public int heads() {
        return heads;
    }

    /** {@return the per-module k overrides (PEFT key rule)} */
    public Map<String, Integer> rankPattern() {
        return rankPattern;
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
        return builder(file.targetModules()).threshold(ext.path("threshold").asDouble(DEFAULT_THRESHOLD))
                .heads(ext.path("heads").asInt(DEFAULT_HEADS)).rankPattern(file.rankPattern())
                .dropout(file.loraDropout()).seed(ext.path("seed").asLong(DEFAULT_SEED)).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MoSaraConfig c && targets.equals(c.targets) && Double.compare(threshold, c.threshold) == 0
                && heads == c.heads && rankPattern.equals(c.rankPattern) && Double.compare(dropout, c.dropout) == 0
                && seed == c.seed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(targets, threshold, heads, rankPattern, dropout, seed);
    }

    @Override
    public String toString() {
        return "MoSaraConfig[targets=" + targets + ", threshold=" + threshold + ", heads=" + heads + ", rankPattern="
                + rankPattern + ", dropout=" + dropout + ", seed=" + seed + "]";
    }

    /** Builds a {@link MoSaraConfig}; {@link #build()} checks every value and names the option that is out of range. */
    public static final class Builder {
        private final TargetMatcher targets;
        private double threshold = DEFAULT_THRESHOLD;
        private int heads = DEFAULT_HEADS;
        private Map<String, Integer> rankPattern = Map.of();
        private double dropout = DEFAULT_DROPOUT;
        private long seed = DEFAULT_SEED;

        private Builder(TargetMatcher targets) {
            this.targets = Objects.requireNonNull(targets, "targets");
        }

        /**
         * Sets the rank-rule threshold.
         *
         * @param value rank-rule threshold, in (0, 1] (default {@value MoSaraConfig#DEFAULT_THRESHOLD})
         * @return this builder
         */
        public Builder threshold(double value) {
            threshold = value;
            return this;
        }

        /**
         * Sets the number m of parallel singular-value vectors.
         *
         * @param value number m of parallel singular-value vectors, at least 1 (default
         *     {@value MoSaraConfig#DEFAULT_HEADS})
         * @return this builder
         */
        public Builder heads(int value) {
            heads = value;
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
         * Sets the adapter input dropout.
         *
         * @param value adapter input dropout, in [0, 1) (default {@value MoSaraConfig#DEFAULT_DROPOUT})
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
        public MoSaraConfig build() {
            return new MoSaraConfig(this);
        }
    }
}
