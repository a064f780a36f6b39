package ai.sara4j.djl.adapter.sora;

import java.util.Locale;
import java.util.Objects;

/**
 * SoRA's sparsifying scheduler: the sparsity strength ξ of the proximal step, constant or stepped through
 * {@code stages} values between {@code start} and {@code end}, each used for {@code stageSteps} optimizer updates
 * (then the last value is kept). The value lists are those of the SoRA code's {@code SparseAdamW._build_lambda_list}:
 *
 * <pre>
 *   linear       linspace(start, end, stages)
 *   log_linear   log(linspace(exp(start), exp(end), stages))
 *   exp_linear   exp(linspace(log(start), log(end), stages))     (start, end &gt; 0)
 * </pre>
 *
 * @param kind the shape of the schedule
 * @param start ξ of the first stage (the only value when constant)
 * @param end ξ of the last stage
 * @param stages number of values
 * @param stageSteps optimizer updates per stage
 */
public record XiSchedule(Kind kind, double start, double end, int stages, long stageSteps) {
    /** The schedule's shape; {@code CONSTANT} ignores end, stages and stageSteps. */
    public enum Kind {
        CONSTANT, LINEAR, LOG_LINEAR, EXP_LINEAR;

        /** The kind named {@code name} ({@code none}/{@code constant}, {@code linear}, {@code log_linear}, {@code exp_linear}). */
        public static Kind parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (n.equals("none") || n.equals("constant")) {
                return CONSTANT;
            }
            for (Kind k : values()) {
                if (k.name().toLowerCase(Locale.ROOT).equals(n)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("xi_schedule must be none, linear, log_linear or exp_linear, got '"
                    + name + "'");
        }

        /** The name as written in options and adapter_config.json. */
        public String label() {
            return this == CONSTANT ? "none" : name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Checks the schedule.
     *
     * @throws IllegalArgumentException naming the option ({@code xi}, {@code xi_max}, {@code xi_stages},
     *     {@code xi_stage_steps}) that is out of range
     */
    public XiSchedule {
        Objects.requireNonNull(kind, "kind");
        if (!(Double.isFinite(start) && start >= 0) || !(Double.isFinite(end) && end >= 0)) {
            throw new IllegalArgumentException("SoRA xi and xi_max must be finite numbers >= 0, got xi=" + start
                    + ", xi_max=" + end);
        }
        if (kind != Kind.CONSTANT) {
            if (stages < 1 || stageSteps < 1) {
                throw new IllegalArgumentException("xi_schedule " + kind.label() + " needs xi_stages >= 1 and "
                        + "xi_stage_steps >= 1, got " + stages + " and " + stageSteps);
            }
            if (kind == Kind.EXP_LINEAR && (start <= 0 || end <= 0)) {
                throw new IllegalArgumentException("xi_schedule exp_linear needs xi > 0 and xi_max > 0, got " + start
                        + " and " + end);
            }
        }
    }

    /** A constant ξ. */
    public static XiSchedule constant(double xi) {
        return new XiSchedule(Kind.CONSTANT, xi, xi, 1, 1);
    }

    /** The ξ of every stage, in order. */
    public double[] values() {
        if (kind == Kind.CONSTANT) {
            return new double[] {start};
        }
        double[] out = new double[stages];
        for (int i = 0; i < stages; i++) {
            out[i] = switch (kind) {
                case LINEAR -> linspace(start, end, i);
                case LOG_LINEAR -> Math.log(linspace(Math.exp(start), Math.exp(end), i));
                case EXP_LINEAR -> Math.exp(linspace(Math.log(start), Math.log(end), i));
                case CONSTANT -> start;
            };
        }
        return out;
    }

    /** ξ for optimizer update {@code step} (from 1): stage (step − 1) / stageSteps, capped at the last stage. */
    public double at(long step) {
        double[] v = values();
        long stage = Math.min((Math.max(step, 1) - 1) / stageSteps, v.length - 1);
        return v[(int) stage];
    }

    /** numpy's linspace(a, b, stages)[i]: the last point is b exactly. */
    private double linspace(double a, double b, int i) {
        return stages == 1 ? a : i == stages - 1 ? b : a + i * ((b - a) / (stages - 1));
    }
}
