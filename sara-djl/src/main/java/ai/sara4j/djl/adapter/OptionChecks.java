package ai.sara4j.djl.adapter;

import java.util.Map;

/**
 * The range checks every adapter configuration applies when it is built, so a bad value fails at construction with a
 * message naming the method and the option (never later, as a NaN in {@code adapter_config.json} or a NaN loss).
 */
public final class OptionChecks {
    private OptionChecks() {}

    /**
     * A rank: at least 1.
     *
     * @param owner who takes the option, for the message (for example {@code LoRA})
     * @param option the option's name
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException naming owner and option when {@code value} &lt; 1
     */
    public static int atLeastOne(String owner, String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(owner + " " + option + " must be >= 1, got " + value);
        }
        return value;
    }

    /**
     * A scaling numerator such as {@code alpha}: finite and positive.
     *
     * @param owner who takes the option, for the message
     * @param option the option's name
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException naming owner and option when {@code value} is NaN, infinite or &lt;= 0
     */
    public static double positive(String owner, String option, double value) {
        if (!(Double.isFinite(value) && value > 0)) {
            throw new IllegalArgumentException(owner + " " + option + " must be a finite number > 0, got " + value);
        }
        return value;
    }

    /**
     * A finite value that may be 0, such as a standard deviation.
     *
     * @param owner who takes the option, for the message
     * @param option the option's name
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException naming owner and option when {@code value} is NaN, infinite or negative
     */
    public static double nonNegative(String owner, String option, double value) {
        if (!(Double.isFinite(value) && value >= 0)) {
            throw new IllegalArgumentException(owner + " " + option + " must be a finite number >= 0, got " + value);
        }
        return value;
    }

    /**
     * A dropout probability: in [0, 1).
     *
     * @param owner who takes the option, for the message
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException naming owner and {@code dropout} when {@code value} is NaN or outside [0, 1)
     */
    public static double dropout(String owner, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(owner + " dropout must be in [0, 1), got " + value);
        }
        return value;
    }

    /**
     * A rank-rule threshold (the share of the singular-value sum to keep): in (0, 1].
     *
     * @param owner who takes the option, for the message
     * @param value the value
     * @return {@code value}
     * @throws IllegalArgumentException naming owner and {@code threshold} when {@code value} is NaN or outside (0, 1]
     */
    public static double threshold(String owner, double value) {
        if (!(value > 0 && value <= 1)) {
            throw new IllegalArgumentException(owner + " threshold must be in (0, 1], got " + value);
        }
        return value;
    }

    /**
     * Per-module ranks (a {@code rank_pattern}): every value at least 1.
     *
     * @param owner who takes the option, for the message
     * @param option the option's name
     * @param ranks module pattern → rank
     * @return an unmodifiable copy of {@code ranks}
     * @throws IllegalArgumentException naming owner, option and module for a rank &lt; 1
     */
    public static Map<String, Integer> ranks(String owner, String option, Map<String, Integer> ranks) {
        ranks.forEach((module, rank) -> atLeastOne(owner, option + "[" + module + "]", rank));
        return Map.copyOf(ranks);
    }
}
