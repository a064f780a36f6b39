package ai.sara4j.djl.adapter.sora;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterOptions;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;

/**
 * SoRA: ΔW = s·B·diag(g)·A with s = alpha/r and a gate g (r) made sparse by a proximal step after every optimizer
 * update ({@link SoraProximalStep}); ranks whose gate reaches 0 are dropped at export.
 *
 * @param targets target modules
 * @param r rank before pruning (SoRA code default 8)
 * @param alpha scaling numerator (SoRA code default 16)
 * @param dropout adapter input dropout (SoRA code default 0)
 * @param xi the sparsity strength ξ and its schedule: the proximal step shrinks each gate by lr·ξ
 * @param seed seed of the initialisation of A and g
 */
public record SoraConfig(TargetMatcher targets, int r, double alpha, double dropout, XiSchedule xi, long seed)
        implements AdapterConfig {
    public static final String METHOD = "sora";
    public static final int DEFAULT_R = 8;
    public static final double DEFAULT_ALPHA = 16;
    /**
     * SoRA's GLUE setting thresholds the gates by 3e-4 per update at learning rate 8e-4; with the threshold written
     * lr·ξ (the paper's η·ξ) that is ξ = 0.375.
     */
    public static final double DEFAULT_XI = 0.375;

    /** Extra options ({@code --method-option key=value}). */
    static final String XI = "xi";
    static final String XI_SCHEDULE = "xi_schedule";
    static final String XI_MAX = "xi_max";
    static final String XI_STAGES = "xi_stages";
    static final String XI_STAGE_STEPS = "xi_stage_steps";

    public SoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("SoRA r must be >= 1, got " + r);
        }
    }

    /** The defaults (r 8, alpha 16, no dropout, constant ξ = 0.375). */
    public static SoraConfig of(TargetMatcher targets) {
        return new SoraConfig(targets, DEFAULT_R, DEFAULT_ALPHA, 0.0, XiSchedule.constant(DEFAULT_XI), 42);
    }

    public SoraConfig withRank(int rank, double alphaValue) {
        return new SoraConfig(targets, rank, alphaValue, dropout, xi, seed);
    }

    public SoraConfig withXi(XiSchedule value) {
        return new SoraConfig(targets, r, alpha, dropout, value, seed);
    }

    public SoraConfig withDropout(double value) {
        return new SoraConfig(targets, r, alpha, value, xi, seed);
    }

    public SoraConfig withSeed(long value) {
        return new SoraConfig(targets, r, alpha, dropout, xi, value);
    }

    /** s = alpha/r. */
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
        XiSchedule xi = new XiSchedule(XiSchedule.Kind.parse(ext.path(XI_SCHEDULE).asText("none")),
                ext.path(XI).asDouble(DEFAULT_XI), ext.path(XI_MAX).asDouble(ext.path(XI).asDouble(DEFAULT_XI)),
                ext.path(XI_STAGES).asInt(1), ext.path(XI_STAGE_STEPS).asLong(1));
        return new SoraConfig(file.targetModules(), file.r(), file.loraAlpha(), file.loraDropout(), xi,
                ext.path("seed").asLong(42));
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
                : new XiSchedule(kind, start, o.extraDouble(XI_MAX, start), o.extraInt(XI_STAGES, 1),
                        o.extraInt(XI_STAGE_STEPS, 1));
        int rank = o.r().orElse(DEFAULT_R);
        return new SoraConfig(o.targets(), rank, o.alpha().orElse(DEFAULT_ALPHA), o.dropout().orElse(0.0), xi,
                o.seed());
    }
}
