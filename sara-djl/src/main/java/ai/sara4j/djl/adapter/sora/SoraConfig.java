package ai.sara4j.djl.adapter.sora;

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
 * SoRA: ΔW = s·B·diag(g)·A with s = alpha/r and a gate g (r) made sparse by a proximal step after every optimizer
 * update ({@link SoraProximalStep}); ranks whose gate reaches 0 are dropped at export.
 *
 * <pre>{@code
 * SoraConfig config = SoraConfig.builder(TargetMatcher.names("q_proj", "v_proj")).r(8).alpha(16)
 *         .xi(XiSchedule.constant(0.375)).build();
 * }</pre>
 *
 * <p>Defaults (the SoRA code's): r {@value #DEFAULT_R}, alpha {@value #DEFAULT_ALPHA}, dropout 0, constant ξ
 * {@value #DEFAULT_XI}, seed {@value AdapterConfig#DEFAULT_SEED}. Checked at construction: r &gt;= 1, alpha finite
 * and &gt; 0, dropout in [0, 1) ({@link XiSchedule} checks ξ).
 */
public final class SoraConfig implements AdapterConfig {
    /** The registry name. */
    public static final String METHOD = "sora";
    /** The SoRA code's rank before pruning. */
    public static final int DEFAULT_R = 8;
    /** The SoRA code's scaling numerator. */
    public static final double DEFAULT_ALPHA = 16;
    /**
     * SoRA's GLUE setting thresholds the gates by 3e-4 per update at learning rate 8e-4; with the threshold written
     * lr·ξ (the paper's η·ξ) that is ξ = 0.375.
     */
    public static final double DEFAULT_XI = 0.375;
    private static final String OWNER = "SoRA";

    /** Extra options ({@code --method-option key=value}). */
    static final String XI = "xi";
    static final String XI_SCHEDULE = "xi_schedule";
    static final String XI_MAX = "xi_max";
    static final String XI_STAGES = "xi_stages";
    static final String XI_STAGE_STEPS = "xi_stage_steps";

    private final TargetMatcher targets;
    private final int r;
    private final double alpha;
    private final double dropout;
    private final XiSchedule xi;
    private final long seed;

    private SoraConfig(Builder b) {
        this.targets = b.targets;
        this.r = OptionChecks.atLeastOne(OWNER, "r", b.r);
        this.alpha = OptionChecks.positive(OWNER, "alpha", b.alpha);
        this.dropout = OptionChecks.dropout(OWNER, b.dropout);
        this.xi = b.xi;
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
    public static SoraConfig of(TargetMatcher targets) {
        return builder(targets).build();
    }

    /** {@return a builder holding this configuration, to change some of it} */
    public Builder toBuilder() {
        return builder(targets).r(r).alpha(alpha).dropout(dropout).xi(xi).seed(seed);
    }

    /**
     * This configuration with another rank and alpha.
     *
     * @param rank rank before pruning, at least 1
     * @param alphaValue scaling numerator, finite and &gt; 0
     * @return a copy with that rank and alpha
     */
    public SoraConfig withRank(int rank, double alphaValue) {
        return toBuilder().r(rank).alpha(alphaValue).build();
    }

    /**
     * This configuration with another ξ schedule.
     *
     * @param value the sparsity strength ξ and its schedule
     * @return a copy with that schedule
     */
    public SoraConfig withXi(XiSchedule value) {
        return toBuilder().xi(value).build();
    }

    /**
     * This configuration with another adapter input dropout.
     *
     * @param value adapter input dropout, in [0, 1)
     * @return a copy with that dropout
     */
    public SoraConfig withDropout(double value) {
        return toBuilder().dropout(value).build();
    }

    /**
     * This configuration with another seed of the initialisation of A and g.
     *
     * @param value seed of the initialisation of A and g
     * @return a copy with that seed
     */
    public SoraConfig withSeed(long value) {
        return toBuilder().seed(value).build();
    }

    @Override
    public TargetMatcher targets() {
        return targets;
    }

    /** {@return the rank before pruning} */
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

    /** {@return the sparsity strength ξ and its schedule: the proximal step shrinks each gate by lr·ξ} */
    public XiSchedule xi() {
        return xi;
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
        PeftConfig file = PeftConfig.create("SORA").r(r).loraAlpha(alpha).loraDropout(dropout).targetModules(targets);
        ObjectNode ext = file.extensionOrCreate();
        ext.put("method", METHOD);
        ext.put(XI, xi.start());
        ext.put(XI_SCHEDULE, xi.kind().label());
        ext.put(XI_MAX, xi.end());
        ext.put(XI_STAGES, xi.stages());
        ext.put(XI_STAGE_STEPS, xi.stageSteps());
        ext.put("seed", seed);
        return file;
    }

    static SoraConfig fromPeft(PeftConfig file) {
        ObjectNode ext = file.extension().orElseThrow();
        double xiStart = ext.path(XI).asDouble(DEFAULT_XI);
        XiSchedule xi = XiSchedule.builder(XiSchedule.Kind.parse(ext.path(XI_SCHEDULE).asText("none"))).from(xiStart)
                .to(ext.path(XI_MAX).asDouble(xiStart)).stages(ext.path(XI_STAGES).asInt(1))
                .stageSteps(ext.path(XI_STAGE_STEPS).asLong(1)).build();
        return builder(file.targetModules()).r(file.r()).alpha(file.loraAlpha()).dropout(file.loraDropout()).xi(xi)
                .seed(ext.path("seed").asLong(DEFAULT_SEED)).build();
    }

    /**
     * From user options: {@code r}, {@code alpha}, {@code dropout}, and the extra options {@code xi} (ξ, default
     * 0.375), {@code xi_schedule} ({@code none}, {@code linear}, {@code log_linear}, {@code exp_linear}),
     * {@code xi_max} (last ξ), {@code xi_stages} (number of values) and {@code xi_stage_steps} (updates per value).
     */
    static SoraConfig fromOptions(AdapterOptions o) {
        o.requireOnly(METHOD, Set.of("r", "alpha", "dropout"),
                Set.of(XI, XI_SCHEDULE, XI_MAX, XI_STAGES, XI_STAGE_STEPS));
        double start = o.extraDouble(XI, DEFAULT_XI);
        XiSchedule.Kind kind = XiSchedule.Kind.parse(o.extra().getOrDefault(XI_SCHEDULE, "none"));
        if (kind == XiSchedule.Kind.CONSTANT
                && (o.extra().containsKey(XI_MAX) || o.extra().containsKey(XI_STAGES)
                        || o.extra().containsKey(XI_STAGE_STEPS))) {
            throw new IllegalArgumentException("method options xi_max, xi_stages and xi_stage_steps need "
                    + "xi_schedule=linear, log_linear or exp_linear");
        }
        if (kind != XiSchedule.Kind.CONSTANT && !(o.extra().containsKey(XI_MAX) && o.extra().containsKey(XI_STAGES)
                && o.extra().containsKey(XI_STAGE_STEPS))) {
            throw new IllegalArgumentException("xi_schedule=" + kind.label()
                    + " needs the method options xi_max, xi_stages and xi_stage_steps");
        }
        XiSchedule xi = kind == XiSchedule.Kind.CONSTANT ? XiSchedule.constant(start)
                : XiSchedule.builder(kind).from(start).to(o.extraDouble(XI_MAX, start))
                        .stages(o.extraInt(XI_STAGES, 1)).stageSteps(o.extraInt(XI_STAGE_STEPS, 1)).build();
        Builder b = builder(o.targets()).xi(xi).seed(o.seed());
        o.r().ifPresent(b::r);
        o.alpha().ifPresent(b::alpha);
        o.dropout().ifPresent(b::dropout);
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SoraConfig c && targets.equals(c.targets) && r == c.r
                && Double.compare(alpha, c.alpha) == 0 && Double.compare(dropout, c.dropout) == 0
                && xi.equals(c.xi) && seed == c.seed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(targets, r, alpha, dropout, xi, seed);
    }

    @Override
    public String toString() {
        return "SoraConfig[targets=" + targets + ", r=" + r + ", alpha=" + alpha + ", dropout=" + dropout + ", xi="
                + xi + ", seed=" + seed + "]";
    }

    /** Builds a {@link SoraConfig}; {@link #build()} checks every value and names the option that is out of range. */
    public static final class Builder {
        private final TargetMatcher targets;
        private int r = DEFAULT_R;
        private double alpha = DEFAULT_ALPHA;
        private double dropout;
        private XiSchedule xi = XiSchedule.constant(DEFAULT_XI);
        private long seed = DEFAULT_SEED;

        private Builder(TargetMatcher targets) {
            this.targets = Objects.requireNonNull(targets, "targets");
        }

        /**
         * Sets the rank before pruning.
         *
         * @param value rank before pruning, at least 1 (default {@value SoraConfig#DEFAULT_R})
         * @return this builder
         */
        public Builder r(int value) {
            r = value;
            return this;
        }

        /**
         * Sets the scaling numerator alpha (s = alpha/r).
         *
         * @param value scaling numerator, finite and &gt; 0 (default {@value SoraConfig#DEFAULT_ALPHA})
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
         * Sets the sparsity strength ξ and its schedule.
         *
         * @param value the sparsity strength ξ and its schedule (default constant {@value SoraConfig#DEFAULT_XI})
         * @return this builder
         */
        public Builder xi(XiSchedule value) {
            xi = Objects.requireNonNull(value, "xi");
            return this;
        }

        /**
         * Sets the seed of the initialisation of A and g.
         *
         * @param value seed of the initialisation of A and g (default {@value AdapterConfig#DEFAULT_SEED})
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
        public SoraConfig build() {
            return new SoraConfig(this);
        }
    }
}
