package ai.sara4j.djl.adapter.edora;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterOptions;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;

/**
 * EDoRA: W' = m ⊙ (W0 + s·B·R·A) / ‖W0 + s·B·R·A‖_row with A = diag(σ_r)·Q_rᵀ and B = P_r frozen from the truncated
 * SVD of W0, trainable R (r×r) and magnitude m (out), s = alpha/r.
 *
 * @param targets target modules
 * @param r SVD rank (the EDoRA GLUE grid is 4–32; 8 here)
 * @param alpha scaling numerator (EDoRA GLUE scripts: 16)
 * @param dropout adapter input dropout
 * @param initSigma standard deviation of R's normal initialisation (EDoRA code: 1e-5)
 * @param seed seed of R's initialisation
 */
public record EdoraConfig(TargetMatcher targets, int r, double alpha, double dropout, double initSigma, long seed)
        implements AdapterConfig {
    public static final String METHOD = "edora";
    public static final int DEFAULT_R = 8;
    public static final double DEFAULT_ALPHA = 16;
    public static final double DEFAULT_INIT_SIGMA = 1e-5;
    static final String INIT_SIGMA = "init_sigma";

    public EdoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("EDoRA r must be >= 1, got " + r);
        }
        if (!(initSigma >= 0)) {
            throw new IllegalArgumentException("EDoRA init_sigma must be >= 0, got " + initSigma);
        }
    }

    /** The defaults (r 8, alpha 16, no dropout, σ 1e-5). */
    public static EdoraConfig of(TargetMatcher targets) {
        return new EdoraConfig(targets, DEFAULT_R, DEFAULT_ALPHA, 0.0, DEFAULT_INIT_SIGMA, 42);
    }

    public EdoraConfig withRank(int rank, double alphaValue) {
        return new EdoraConfig(targets, rank, alphaValue, dropout, initSigma, seed);
    }

    public EdoraConfig withInitSigma(double value) {
        return new EdoraConfig(targets, r, alpha, dropout, value, seed);
    }

    public EdoraConfig withDropout(double value) {
        return new EdoraConfig(targets, r, alpha, value, initSigma, seed);
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
        return new EdoraConfig(file.targetModules(), file.r(), file.loraAlpha(), file.loraDropout(),
                ext.path(INIT_SIGMA).asDouble(DEFAULT_INIT_SIGMA), ext.path("seed").asLong(42));
    }

    /** From user options: {@code r}, {@code alpha}, {@code dropout} and the extra option {@code init_sigma}. */
    static EdoraConfig fromOptions(AdapterOptions o) {
        o.requireOnly(METHOD, Set.of("r", "alpha", "dropout"), Set.of(INIT_SIGMA));
        return new EdoraConfig(o.targets(), o.r().orElse(DEFAULT_R), o.alpha().orElse(DEFAULT_ALPHA),
                o.dropout().orElse(0.0), o.extraDouble(INIT_SIGMA, DEFAULT_INIT_SIGMA), o.seed());
    }
}
