package ai.sara4j.djl.adapter.lora;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.OptionChecks;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * LoRA, exactly as PEFT's {@code LoraConfig} for the fields SARA4J supports: ΔW = s·B·A with s = alpha/r (or
 * alpha/√r with rsLoRA), per-module r and alpha through {@code rank_pattern} / {@code alpha_pattern}; the targets
 * carry {@code exclude_modules}, {@code layers_to_transform} and {@code layers_pattern}.
 *
 * <pre>{@code
 * LoraConfig config = LoraConfig.builder(TargetMatcher.names("q_proj", "v_proj")).r(16).alpha(32).dropout(0.05).build();
 * }</pre>
 *
 * <p>Defaults (PEFT's): r {@value #DEFAULT_R}, alpha = r, dropout 0, no rsLoRA, no patterns, seed
 * {@value AdapterConfig#DEFAULT_SEED}. Checked at construction: r and every rank_pattern value &gt;= 1, alpha and
 * every alpha_pattern value finite and &gt; 0, dropout in [0, 1).
 */
public final class LoraConfig implements AdapterConfig {
    /** The registry name. */
    public static final String METHOD = "lora";
    /** PEFT's default rank. */
    public static final int DEFAULT_R = 8;
    private static final String OWNER = "LoRA";
    /** PEFT LoRA features SARA4J does not implement; a file using one is refused rather than half-applied. */
    private static final List<String> UNSUPPORTED_FIELDS = List.of("modules_to_save", "target_parameters",
            "trainable_token_indices", "layer_replication", "use_qalora", "alora_invocation_tokens");

    private final TargetMatcher targets;
    private final int r;
    private final double alpha;
    private final double dropout;
    private final boolean useRslora;
    private final Map<String, Integer> rankPattern;
    private final Map<String, Double> alphaPattern;
    private final long seed;

    private LoraConfig(Builder b) {
        this.targets = b.targets;
        this.r = OptionChecks.atLeastOne(OWNER, "r", b.r);
        this.alpha = OptionChecks.positive(OWNER, "alpha", b.alpha == null ? b.r : b.alpha);
        this.dropout = OptionChecks.dropout(OWNER, b.dropout);
        this.useRslora = b.useRslora;
        this.rankPattern = OptionChecks.ranks(OWNER, "rank_pattern", b.rankPattern);
        b.alphaPattern.forEach((module, a) -> OptionChecks.positive(OWNER, "alpha_pattern[" + module + "]", a));
        this.alphaPattern = Map.copyOf(b.alphaPattern);
        this.seed = b.seed;
    }

    /**
     * A builder with PEFT's defaults for the given targets.
     *
     * @param targets which Linear modules get an adapter
     * @return a new builder
     */
    public static Builder builder(TargetMatcher targets) {
        return new Builder(targets);
    }

    /**
     * PEFT's defaults for the given targets, rank and alpha.
     *
     * @param targets which Linear modules get an adapter
     * @param r the rank
     * @param alpha the scaling numerator
     * @return the configuration
     * @throws IllegalArgumentException naming the option when a value is out of range
     */
    public static LoraConfig of(TargetMatcher targets, int r, double alpha) {
        return builder(targets).r(r).alpha(alpha).build();
    }

    /** {@return a builder holding this configuration, to change some of it} */
    public Builder toBuilder() {
        return builder(targets).r(r).alpha(alpha).dropout(dropout).useRslora(useRslora).rankPattern(rankPattern)
                .alphaPattern(alphaPattern).seed(seed);
    }

    /**
     * This configuration with another adapter input dropout.
     *
     * @param value adapter input dropout
     * @return a copy with that dropout
     */
    public LoraConfig withDropout(double value) {
        return toBuilder().dropout(value).build();
    }

    /**
     * This configuration with rsLoRA scaling switched on or off.
     *
     * @param value whether the scaling is alpha/√r (rsLoRA)
     * @return a copy with that scaling
     */
    public LoraConfig withRslora(boolean value) {
        return toBuilder().useRslora(value).build();
    }

    /**
     * This configuration with other per-module rank and alpha overrides.
     *
     * @param ranks per-module rank overrides (PEFT key rule)
     * @param alphas per-module alpha overrides (PEFT key rule)
     * @return a copy with those patterns
     */
    public LoraConfig withPatterns(Map<String, Integer> ranks, Map<String, Double> alphas) {
        return toBuilder().rankPattern(ranks).alphaPattern(alphas).build();
    }

    /**
     * This configuration with another seed of the Kaiming-uniform draw of A.
     *
     * @param value seed of the Kaiming-uniform draw of A
     * @return a copy with that seed
     */
    public LoraConfig withSeed(long value) {
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

    /** {@return the default rank} */
    public int r() {
        return r;
    }

    /** {@return the default lora_alpha} */
    public double alpha() {
        return alpha;
    }

    @Override
    public double dropout() {
        return dropout;
    }

    /** {@return whether the scaling is alpha/√r instead of alpha/r} */
    public boolean useRslora() {
        return useRslora;
    }

    /** {@return the per-module rank overrides (PEFT key rule)} */
    public Map<String, Integer> rankPattern() {
        return rankPattern;
    }

    /** {@return the per-module alpha overrides (PEFT key rule)} */
    public Map<String, Double> alphaPattern() {
        return alphaPattern;
    }

    @Override
    public long seed() {
        return seed;
    }

    /**
     * The rank of one module.
     *
     * @param module the module's dotted path
     * @return the rank of {@code module}: its rank_pattern entry, else r
     */
    public int rankFor(String module) {
        return PeftConfig.patternKey(rankPattern.keySet(), module).map(rankPattern::get).orElse(r);
    }

    /**
     * The scaling of one module's update.
     *
     * @param module the module's dotted path
     * @return the scaling of {@code module}: alpha/r, or alpha/√r with rsLoRA, after the patterns
     */
    public double scalingFor(String module) {
        double a = PeftConfig.patternKey(alphaPattern.keySet(), module).map(alphaPattern::get).orElse(alpha);
        int rank = rankFor(module);
        return useRslora ? a / Math.sqrt(rank) : a / rank;
    }

    @Override
    public PeftConfig toPeft(Map<String, Integer> ranks) {
        return PeftConfig.create("LORA").r(r).loraAlpha(alpha).loraDropout(dropout).useRslora(useRslora)
                .targetModules(targets).rankPattern(rankPattern).alphaPattern(alphaPattern);
    }

    /** Reads a PEFT LoRA config, refusing what SARA4J's LoRA does not implement. */
    static LoraConfig fromPeft(PeftConfig file) {
        if (file.useDora()) {
            throw new IllegalArgumentException(PeftConfig.FILE_NAME + ": use_dora=true is DoRA, not plain LoRA");
        }
        if (file.fanInFanOut()) {
            throw new IllegalArgumentException(PeftConfig.FILE_NAME
                    + ": fan_in_fan_out=true (Conv1D weights) is not supported; SARA4J models use out×in Linear");
        }
        for (String field : UNSUPPORTED_FIELDS) {
            if (file.isSet(field)) {
                throw new IllegalArgumentException(PeftConfig.FILE_NAME + ": " + field + " is not supported");
            }
        }
        if (!"none".equals(file.bias())) {
            throw new IllegalArgumentException(PeftConfig.FILE_NAME + ": bias='" + file.bias()
                    + "' is not supported (only 'none')");
        }
        return builder(file.targetModules()).r(file.r()).alpha(file.loraAlpha()).dropout(file.loraDropout())
                .useRslora(file.useRslora()).rankPattern(file.rankPattern()).alphaPattern(file.alphaPattern())
                .build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoraConfig c && targets.equals(c.targets) && r == c.r
                && Double.compare(alpha, c.alpha) == 0 && Double.compare(dropout, c.dropout) == 0
                && useRslora == c.useRslora && rankPattern.equals(c.rankPattern)
                && alphaPattern.equals(c.alphaPattern) && seed == c.seed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(targets, r, alpha, dropout, useRslora, rankPattern, alphaPattern, seed);
    }

    @Override
    public String toString() {
        return "LoraConfig[targets=" + targets + ", r=" + r + ", alpha=" + alpha + ", dropout=" + dropout
                + ", useRslora=" + useRslora + ", rankPattern=" + rankPattern + ", alphaPattern=" + alphaPattern
                + ", seed=" + seed + "]";
    }

    /** Builds a {@link LoraConfig}; {@link #build()} checks every value and names the option that is out of range. */
    public static final class Builder {
        private final TargetMatcher targets;
        private int r = DEFAULT_R;
        /** Null: alpha = r (PEFT's default). */
        private Double alpha;
        private double dropout;
        private boolean useRslora;
        private Map<String, Integer> rankPattern = Map.of();
        private Map<String, Double> alphaPattern = Map.of();
        private long seed = DEFAULT_SEED;

        private Builder(TargetMatcher targets) {
            this.targets = Objects.requireNonNull(targets, "targets");
        }

        /**
         * Sets the default rank r.
         *
         * @param value default rank, at least 1 (default {@value LoraConfig#DEFAULT_R})
         * @return this builder
         */
        public Builder r(int value) {
            r = value;
            return this;
        }

        /**
         * Sets the default lora_alpha.
         *
         * @param value default lora_alpha, finite and &gt; 0 (default: r)
         * @return this builder
         */
        public Builder alpha(double value) {
            alpha = value;
            return this;
        }

        /**
         * Sets the adapter input dropout.
         *
         * @param value adapter input dropout, in [0, 1) (default 0)
         * @return this builder
         */
        public Builder dropout(double value) {
            dropout = value;
            return this;
        }

        /**
         * Sets whether the scaling is alpha/√r (rsLoRA) instead of alpha/r.
         *
         * @param value scaling alpha/√r instead of alpha/r (default false)
         * @return this builder
         */
        public Builder useRslora(boolean value) {
            useRslora = value;
            return this;
        }

        /**
         * Sets the per-module rank overrides (PEFT's {@code rank_pattern}).
         *
         * @param value per-module rank overrides (PEFT key rule), each at least 1 (default none)
         * @return this builder
         */
        public Builder rankPattern(Map<String, Integer> value) {
            rankPattern = Map.copyOf(value);
            return this;
        }

        /**
         * Sets the per-module alpha overrides (PEFT's {@code alpha_pattern}).
         *
         * @param value per-module alpha overrides (PEFT key rule), each finite and &gt; 0 (default none)
         * @return this builder
         */
        public Builder alphaPattern(Map<String, Double> value) {
            alphaPattern = Map.copyOf(value);
            return this;
        }

        /**
         * Sets the seed of the Kaiming-uniform draw of A.
         *
         * @param value seed of the Kaiming-uniform draw of A (default {@value AdapterConfig#DEFAULT_SEED})
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
        public LoraConfig build() {
            return new LoraConfig(this);
        }
    }
}
