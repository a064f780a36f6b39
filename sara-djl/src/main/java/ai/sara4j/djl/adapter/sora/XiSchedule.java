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
 *
 * <pre>{@code
 * XiSchedule constant = XiSchedule.constant(0.375);
 * XiSchedule linear = XiSchedule.builder(XiSchedule.Kind.LINEAR).from(0.1).to(1).stages(5).stageSteps(200).build();
 * }</pre>
 *
 * <p>Checked when built: ξ values finite and &gt;= 0 (&gt; 0 for {@code exp_linear}), stages and stage steps &gt;= 1.
 * A {@code CONSTANT} schedule keeps only its first value (end = start, one stage of one update).
 */
public final class XiSchedule {
    /** The schedule's shape; {@code CONSTANT} ignores end, stages and stageSteps. */
    public enum Kind {
        /** One ξ for every update ({@code none}, the SoRA code's default). */
        CONSTANT,
        /** {@code linspace(start, end, stages)}. */
        LINEAR,
        /** {@code log(linspace(exp(start), exp(end), stages))}. */
        LOG_LINEAR,
        /** {@code exp(linspace(log(start), log(end), stages))}; start and end must be &gt; 0. */
        EXP_LINEAR;

        /**
         * The kind named {@code name}, case-insensitive.
         *
         * @param name {@code none} or {@code constant}, {@code linear}, {@code log_linear}, {@code exp_linear}
         * @return the kind
         * @throws IllegalArgumentException for any other name, listing the accepted ones
         */
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

        /**
         * The name as written in options and {@code adapter_config.json}.
         *
         * @return {@code none}, {@code linear}, {@code log_linear} or {@code exp_linear}
         */
        public String label() {
            return this == CONSTANT ? "none" : name().toLowerCase(Locale.ROOT);
        }
    }

    private final Kind kind;
    private final double start;
    private final double end;
    private final int stages;
    private final long stageSteps;

    private XiSchedule(Kind kind, double start, double end, int stages, long stageSteps) {
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
        boolean constant = kind == Kind.CONSTANT;
        this.kind = kind;
        this.start = start;
        this.end = constant ? start : end;
        this.stages = constant ? 1 : stages;
        this.stageSteps = constant ? 1 : stageSteps;
    }

    /**
     * A constant ξ.
     *
     * @param xi the sparsity strength, finite and &gt;= 0
     * @return the schedule
     * @throws IllegalArgumentException when {@code xi} is out of range
     */
    public static XiSchedule constant(double xi) {
        return new XiSchedule(Kind.CONSTANT, xi, xi, 1, 1);
    }

    /**
     * A builder of a schedule of the given shape (ξ from 0 to 0 in one stage of one update until set).
     *
     * @param kind the shape
     * @return a new builder
     */
    public static Builder builder(Kind kind) {
        return new Builder(kind);
    }

    /** {@return the shape of the schedule} */
    public Kind kind() {
        return kind;
    }

    /** {@return the ξ of the first stage (the only value when constant)} */
    public double start() {
        return start;
    }

    /** {@return the ξ of the last stage} */
    public double end() {
        return end;
    }

    /** {@return the number of values} */
    public int stages() {
        return stages;
    }

    /** {@return the number of optimizer updates per stage} */
    public long stageSteps() {
        return stageSteps;
    }

    /** {@return the ξ of every stage, in order} */
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

    /**
     * The ξ of one optimizer update.
     *
     * @param step an optimizer update, from 1
     * @return ξ for that update: stage (step − 1) / stageSteps, capped at the last stage
     */
    public double at(long step) {
        double[] v = values();
        long stage = Math.min((Math.max(step, 1) - 1) / stageSteps, v.length - 1);
        return v[(int) stage];
    }

    /** numpy's linspace(a, b, stages)[i]: the last point is b exactly. */
    private double linspace(double a, double b, int i) {
        return stages == 1 ? a : i == stages - 1 ? b : a + i * ((b - a) / (stages - 1));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XiSchedule x && kind == x.kind && Double.compare(start, x.start) == 0
                && Double.compare(end, x.end) == 0 && stages == x.stages && stageSteps == x.stageSteps;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, start, end, stages, stageSteps);
    }

    @Override
    public String toString() {
        return kind == Kind.CONSTANT ? "XiSchedule[constant " + start + "]"
                : "XiSchedule[" + kind.label() + " " + start + " to " + end + ", " + stages + " stages of "
                        + stageSteps + " updates]";
    }

    /** Builds a stepped {@link XiSchedule}; {@link #build()} checks the values and names the one out of range. */
    public static final class Builder {
        private final Kind kind;
        private double start;
        private double end;
        private int stages = 1;
        private long stageSteps = 1;

        private Builder(Kind kind) {
            this.kind = Objects.requireNonNull(kind, "kind");
        }

        /**
         * Sets ξ of the first stage.
         *
         * @param value ξ of the first stage ({@code xi})
         * @return this builder
         */
        public Builder from(double value) {
            start = value;
            return this;
        }

        /**
         * Sets ξ of the last stage.
         *
         * @param value ξ of the last stage ({@code xi_max})
         * @return this builder
         */
        public Builder to(double value) {
            end = value;
            return this;
        }

        /**
         * Sets the number of ξ values.
         *
         * @param value number of values ({@code xi_stages}), at least 1
         * @return this builder
         */
        public Builder stages(int value) {
            stages = value;
            return this;
        }

        /**
         * Sets the number of optimizer updates per stage.
         *
         * @param value optimizer updates per stage ({@code xi_stage_steps}), at least 1
         * @return this builder
         */
        public Builder stageSteps(long value) {
            stageSteps = value;
            return this;
        }

        /**
         * Checks the values and builds the schedule.
         *
         * @return the schedule
         * @throws IllegalArgumentException naming the value that is out of range
         */
        public XiSchedule build() {
            return new XiSchedule(kind, start, end, stages, stageSteps);
        }
    }
}
