package ai.sara4j.djl.adapter.edora;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.adapter.OptionChecks;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * EDoRA: W' = m ⊙ (W0 + s·B·R·A) / ‖W0 + s·B·R·A‖_row with A = diag(σ_r)·Q_rᵀ and B = P_r frozen from the truncated
 * SVD of W0, trainable R (r×r) and magnitude m (out), s = alpha/r.
 *
 * <pre>{@code
 * EdoraConfig config = EdoraConfig.builder(TargetMatcher.names("q_proj", "v_proj")).r(8).alpha(16).build();
 * }</pre>
 *
 * <p>Defaults: r {@value #DEFAULT_R} (the EDoRA GLUE grid is 4–32), alpha {@value #DEFAULT_ALPHA} (EDoRA GLUE
 * scripts), dropout 0, R's initial standard deviation {@value #DEFAULT_INIT_SIGMA} (EDoRA code), seed
 * {@value AdapterConfig#DEFAULT_SEED}. Checked at construction: r &gt;= 1, alpha finite and &gt; 0, dropout in
 * [0, 1), init_sigma finite and &gt;= 0.
 */
public final class EdoraConfig implements AdapterConfig {
    /** The registry name. */
    public static final String METHOD = "edora";
    /** The default SVD rank. */
    public static final int DEFAULT_R = 8;
    /** The EDoRA GLUE scripts' scaling numerator. */
    public static final double DEFAULT_ALPHA = 16;
    /** The EDoRA code's standard deviation of R's normal initialisation. */
    public static final double DEFAULT_INIT_SIGMA = 1e-5;
    static final String INIT_SIGMA = "init_sigma";
    private static final String OWNER = "EDoRA";

    private final TargetMatcher targets;
    private final int r;
    private final double alpha;
    private final double dropout;
    private final double initSigma;
    private final long seed;

    private EdoraConfig(Builder b) {
        this.targets = b.targets;
        this.r = OptionChecks.atLeastOne(OWNER, "r", b.r);
        this.alpha = OptionChecks.positive(OWNER, "alpha", b.alpha);
        this.dropout = OptionChecks.dropout(OWNER, b.dropout);
        this.initSigma = OptionChecks.nonNegative(OWNER, INIT_SIGMA, b.initSigma);
        this.seed = b.seed;
    }

    /**
     * A builder with the defaults for the given targets.
     *
     * @param targets which Linear modules get an adapter
     * @return a new builder
     */
    public static Builder builder(TargetMatcher targets) {
        return new Builder(targets);
    }

    /**
     * The defaults for the given targets.
     *
     * @param targets which Linear modules get an adapter
     * @return the configuration
     */
    public static EdoraConfig of(TargetMatcher targets) {
        return builder(targets).build();
    }

    /** {@return a builder holding this configuration, to change some of it} */
    public Builder toBuilder() {
        return builder(targets).r(r).alpha(alpha).dropout(dropout).initSigma(initSigma).seed(seed);
    }

    /**
     * This configuration with another rank and alpha.
     *
     * @param rank SVD rank, at least 1
     * @param alphaValue scaling numerator, finite and &gt; 0
     * @return a copy with that rank and alpha
     */
    public EdoraConfig withRank(int rank, double alphaValue) {
        return toBuilder().r(rank).alpha(alphaValue).build();
    }

    /**
     * This configuration with another standard deviation of R's initialisation.
     *
     * @param value standard deviation of R's normal initialisation, finite and &gt;= 0
     * @return a copy with that standard deviation
     */
    public EdoraConfig withInitSigma(double value) {
        return toBuilder().initSigma(value).build();
    }

    /**
     * This configuration with another adapter input dropout.
     *
     * @param value adapter input dropout, in [0, 1)
     * @return a copy with that dropout
     */
    public EdoraConfig withDropout(double value) {
        return toBuilder().dropout(value).build();
    }

    /**
     * This configuration with another seed of R's initialisation.
     *
     * @param value seed of R's initialisation
     * @return a copy with that seed
     */
    public EdoraConfig withSeed(long value) {
        return toBuilder().seed(value).build();
    }

    @Override
    public TargetMatcher targets() {
        return targets;
    }

    /** {@return the SVD rank} */
    public int r() {
        return r;
    }

    /** {@return the scaling numerator} */
    public double alpha() {
        return alpha;
    }

    @Override
    public double dropout() {
        return dropout;
    }

    /** {@return the standard deviation of R's normal initialisation} */
    public double initSigma() {
        return initSigma;
    }

    @Override
    public long seed() {
        return seed;
    }

    /** {@return the scaling s = alpha/r} */
    public double scaling() {
        return alpha / r;
    }

    @Override
    public String method() {
        return METHOD;
    }

    @Override
    public PeftConfig toPeft(Map<String, Integer> ranks) {
        PeftConfig file = PeftConfig.create("EDORA").r(r).loraAlpha(alpha).loraDropout(dropout)
                .targetModules(targets);
        ObjectNode ext = file.extensionOrCreate();
        ext.put("method", METHOD);
        ext.put(INIT_SIGMA, initSigma);
        ext.put("seed", seed);
        return file;
    }

    static EdoraConfig fromPeft(PeftConfig file) {
        ObjectNode ext = file.extension().orElseThrow();
        return builder(file.targetModules()).r(file.r()).alpha(file.loraAlpha()).dropout(file.loraDropout())
                .initSigma(ext.path(INIT_SIGMA).asDouble(DEFAULT_INIT_SIGMA))
                .seed(ext.path("seed").asLong(DEFAULT_SEED)).build();
    }

    /** From user options: {@code r}, {@code alpha}, {@code dropout} and the extra option {@code init_sigma}. */
    static EdoraConfig fromOptions(AdapterOptions o) {
        o.requireOnly(METHOD, Set.of("r", "alpha", "dropout"), Set.of(INIT_SIGMA));
        Builder b = builder(o.targets()).initSigma(o.extraDouble(INIT_SIGMA, DEFAULT_INIT_SIGMA)).seed(o.seed());
        o.r().ifPresent(b::r);
        o.alpha().ifPresent(b::alpha);
        o.dropout().ifPresent(b::dropout);
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EdoraConfig c && targets.equals(c.targets) && r == c.r
                && Double.compare(alpha, c.alpha) == 0 && Double.compare(dropout, c.dropout) == 0
                && Double.compare(initSigma, c.initSigma) == 0 && seed == c.seed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(targets, r, alpha, dropout, initSigma, seed);
    }

    @Override
    public String toString() {
        return "EdoraConfig[targets=" + targets + ", r=" + r + ", alpha=" + alpha + ", dropout=" + dropout
                + ", initSigma=" + initSigma + ", seed=" + seed + "]";
    }

    /** Builds an {@link EdoraConfig}; {@link #build()} checks every value and names the option that is out of range. */
    public static final class Builder {
        private final TargetMatcher targets;
        private int r = DEFAULT_R;
        private double alpha = DEFAULT_ALPHA;
        private double dropout;
        private double initSigma = DEFAULT_INIT_SIGMA;
        private long seed = DEFAULT_SEED;

        private Builder(TargetMatcher targets) {
            this.targets = Objects.requireNonNull(targets, "targets");
        }

        /**
         * Sets the SVD rank r.
         *
         * @param value SVD rank, at least 1 (default {@value EdoraConfig#DEFAULT_R})
         * @return this builder
         */
        public Builder r(int value) {
            r = value;
            return this;
        }

        /**
         * Sets the scaling numerator alpha (s = alpha/r).
         *
         * @param value scaling numerator, finite and &gt; 0 (default {@value EdoraConfig#DEFAULT_ALPHA})
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
         * Sets the standard deviation of R's normal initialisation.
         *
         * @param value standard deviation of R's normal initialisation, finite and &gt;= 0 (default
         *     {@value EdoraConfig#DEFAULT_INIT_SIGMA})
         * @return this builder
         */
        public Builder initSigma(double value) {
            initSigma = value;
            return this;
        }

        /**
         * Sets the seed of R's initialisation.
         *
         * @param value seed of R's initialisation (default {@value AdapterConfig#DEFAULT_SEED})
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
        public EdoraConfig build() {
            return new EdoraConfig(this);
        }
    }
}
