package ai.sara4j.djl.adapter;

import ai.sara4j.core.target.TargetMatcher;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a user chose on the command line (or in code) for a new adapter, before a method turns it into its own
 * {@link AdapterConfig} ({@link AdapterMethod#configure}). Unset options are empty and the method applies its
 * defaults (the papers', stated once in each config's builder); an option a method does not take is an error naming
 * it.
 *
 * <pre>{@code
 * AdapterOptions options = AdapterOptions.builder(TargetMatcher.names("q_proj", "v_proj"))
 *         .r(16).alpha(32).dropout(0.05).seed(7).build();
 * AdapterConfig config = AdapterMethods.byName("lora").configure(options);
 * }</pre>
 *
 * <p>Values are checked when set, whatever the method: r, heads and every rank at least 1, alpha finite and &gt; 0,
 * threshold in (0, 1], dropout in [0, 1). The method-specific {@code extra} options are checked by the method.
 */
public final class AdapterOptions {
    private static final String OWNER = "adapter option";

    private final TargetMatcher targets;
    private final Integer r;
    private final Double alpha;
    private final Double threshold;
    private final Map<String, Integer> ranks;
    private final Integer heads;
    private final Double dropout;
    private final String init;
    private final long seed;
    private final Map<String, String> extra;

    private AdapterOptions(Builder b) {
        this.targets = b.targets;
        this.r = b.r;
        this.alpha = b.alpha;
        this.threshold = b.threshold;
        this.ranks = Map.copyOf(b.ranks);
        this.heads = b.heads;
        this.dropout = b.dropout;
        this.init = b.init;
        this.seed = b.seed;
        this.extra = Map.copyOf(b.extra);
    }

    /**
     * A builder with nothing but the targets set (seed {@link AdapterConfig#DEFAULT_SEED}).
     *
     * @param targets which Linear modules get an adapter
     * @return a new builder
     */
    public static Builder builder(TargetMatcher targets) {
        return new Builder(targets);
    }

    /**
     * Only targets and seed set: every method's defaults.
     *
     * @param targets which Linear modules get an adapter
     * @param seed seed of the random initialisation
     * @return the options
     */
    public static AdapterOptions defaults(TargetMatcher targets, long seed) {
        return builder(targets).seed(seed).build();
    }

    /**
     * A builder holding these options, to change some of them.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder(targets);
        b.r = r;
        b.alpha = alpha;
        b.threshold = threshold;
        b.ranks = new LinkedHashMap<>(ranks);
        b.heads = heads;
        b.dropout = dropout;
        b.init = init;
        b.seed = seed;
        b.extra = new LinkedHashMap<>(extra);
        return b;
    }

    /** {@return the target modules (PEFT rule)} */
    public TargetMatcher targets() {
        return targets;
    }

    /** {@return the fixed rank (LoRA, SoRA, EDoRA), if set} */
    public Optional<Integer> r() {
        return Optional.ofNullable(r);
    }

    /** {@return the scaling numerator (LoRA, SoRA, EDoRA: s = alpha/r), if set} */
    public Optional<Double> alpha() {
        return Optional.ofNullable(alpha);
    }

    /** {@return the rank-rule threshold (SARA, Mo-SARA), if set} */
    public Optional<Double> threshold() {
        return Optional.ofNullable(threshold);
    }

    /**
     * {@return the per-module ranks already decided, for example by budget matching (SARA, Mo-SARA); empty for
     * none}
     */
    public Map<String, Integer> ranks() {
        return ranks;
    }

    /** {@return the number of parallel singular-value vectors (Mo-SARA), if set} */
    public Optional<Integer> heads() {
        return Optional.ofNullable(heads);
    }

    /** {@return the adapter input dropout, if set} */
    public Optional<Double> dropout() {
        return Optional.ofNullable(dropout);
    }

    /** {@return the initialisation variant, method-specific (SARA: {@code random} or {@code zero}), if set} */
    public Optional<String> init() {
        return Optional.ofNullable(init);
    }

    /** {@return the seed of the random initialisation} */
    public long seed() {
        return seed;
    }

    /** {@return the method-specific options by name (for example SoRA's {@code xi}), from {@code --method-option}} */
    public Map<String, String> extra() {
        return extra;
    }

    /**
     * Fails naming the first option that is set but not among {@code taken} (of {@code r}, {@code alpha},
     * {@code threshold}, {@code ranks}, {@code heads}, {@code dropout}, {@code init}), and the first extra option
     * not among {@code extras}.
     *
     * @param method the method's name, for the message
     * @param taken the common options the method takes
     * @param extras the extra options the method takes
     * @throws IllegalArgumentException naming the option and the method
     */
    public void requireOnly(String method, Set<String> taken, Set<String> extras) {
        Map<String, Boolean> set = new LinkedHashMap<>();
        set.put("r", r != null);
        set.put("alpha", alpha != null);
        set.put("threshold", threshold != null);
        set.put("ranks", !ranks.isEmpty());
        set.put("heads", heads != null);
        set.put("dropout", dropout != null);
        set.put("init", init != null);
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

    /**
     * The extra option {@code key} as a number, or {@code fallback} when unset.
     *
     * @param key the option's name
     * @param fallback the value when unset
     * @return the value
     * @throws IllegalArgumentException naming the option when the value is not a number
     */
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

    /**
     * The extra option {@code key} as an integer, or {@code fallback} when unset.
     *
     * @param key the option's name
     * @param fallback the value when unset
     * @return the value
     * @throws IllegalArgumentException naming the option when the value is not an integer
     */
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

    @Override
    public boolean equals(Object o) {
        return o instanceof AdapterOptions a && targets.equals(a.targets) && Objects.equals(r, a.r)
                && Objects.equals(alpha, a.alpha) && Objects.equals(threshold, a.threshold) && ranks.equals(a.ranks)
                && Objects.equals(heads, a.heads) && Objects.equals(dropout, a.dropout) && Objects.equals(init, a.init)
                && seed == a.seed && extra.equals(a.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(targets, r, alpha, threshold, ranks, heads, dropout, init, seed, extra);
    }

    @Override
    public String toString() {
        return "AdapterOptions[targets=" + targets + ", r=" + r + ", alpha=" + alpha + ", threshold=" + threshold
                + ", ranks=" + ranks + ", heads=" + heads + ", dropout=" + dropout + ", init=" + init + ", seed="
                + seed + ", extra=" + extra + "]";
    }

    /** Builds {@link AdapterOptions}; every setter checks its value and names the option when it is out of range. */
    public static final class Builder {
        private final TargetMatcher targets;
        private Integer r;
        private Double alpha;
        private Double threshold;
        private Map<String, Integer> ranks = new LinkedHashMap<>();
        private Integer heads;
        private Double dropout;
        private String init;
        private long seed = AdapterConfig.DEFAULT_SEED;
        private Map<String, String> extra = new LinkedHashMap<>();

        private Builder(TargetMatcher targets) {
            this.targets = Objects.requireNonNull(targets, "targets");
        }

        /**
         * Sets the fixed rank r.
         *
         * @param value fixed rank (LoRA, SoRA, EDoRA), at least 1
         * @return this builder
         * @throws IllegalArgumentException naming {@code r} when below 1
         */
        public Builder r(int value) {
            r = OptionChecks.atLeastOne(OWNER, "r", value);
            return this;
        }

        /**
         * Sets the scaling numerator alpha.
         *
         * @param value scaling numerator (LoRA, SoRA, EDoRA), finite and &gt; 0
         * @return this builder
         * @throws IllegalArgumentException naming {@code alpha} when NaN, infinite or &lt;= 0
         */
        public Builder alpha(double value) {
            alpha = OptionChecks.positive(OWNER, "alpha", value);
            return this;
        }

        /**
         * Sets the rank-rule threshold.
         *
         * @param value rank-rule threshold (SARA, Mo-SARA), in (0, 1]
         * @return this builder
         * @throws IllegalArgumentException naming {@code threshold} when NaN or outside (0, 1]
         */
        public Builder threshold(double value) {
            threshold = OptionChecks.threshold(OWNER, value);
            return this;
        }

        /**
         * Sets per-module ranks already decided (SARA, Mo-SARA).
         *
         * @param value per-module ranks already decided (SARA, Mo-SARA), each at least 1
         * @return this builder
         * @throws IllegalArgumentException naming the module whose rank is below 1
         */
        public Builder ranks(Map<String, Integer> value) {
            ranks = new LinkedHashMap<>(OptionChecks.ranks(OWNER, "ranks", value));
            return this;
        }

        /**
         * Sets Mo-SARA's number m of singular-value vectors (heads).
         *
         * @param value Mo-SARA's number of singular-value vectors, at least 1
         * @return this builder
         * @throws IllegalArgumentException naming {@code heads} when below 1
         */
        public Builder heads(int value) {
            heads = OptionChecks.atLeastOne(OWNER, "heads", value);
            return this;
        }

        /**
         * Sets the adapter input dropout.
         *
         * @param value adapter input dropout, in [0, 1)
         * @return this builder
         * @throws IllegalArgumentException naming {@code dropout} when NaN or outside [0, 1)
         */
        public Builder dropout(double value) {
            dropout = OptionChecks.dropout(OWNER, value);
            return this;
        }

        /**
         * Sets the initialisation variant.
         *
         * @param value initialisation variant, checked by the method (SARA: {@code random} or {@code zero})
         * @return this builder
         */
        public Builder init(String value) {
            init = Objects.requireNonNull(value, "init");
            return this;
        }

        /**
         * Sets the seed of the random initialisation.
         *
         * @param value seed of the random initialisation
         * @return this builder
         */
        public Builder seed(long value) {
            seed = value;
            return this;
        }

        /**
         * Sets one method-specific option ({@code --method-option key=value}); the method checks name and value.
         *
         * @param key the option's name
         * @param value its value, as text
         * @return this builder
         */
        public Builder extra(String key, String value) {
            extra.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
            return this;
        }

        /**
         * Replaces all method-specific options.
         *
         * @param value option name → value, as text
         * @return this builder
         */
        public Builder extra(Map<String, String> value) {
            extra = new LinkedHashMap<>(value);
            return this;
        }

        /** {@return the options} */
        public AdapterOptions build() {
            return new AdapterOptions(this);
        }
    }
}
