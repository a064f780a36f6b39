package ai.sara4j.examples;

/**
 * Range checks of numeric command-line options, run before any work so that a bad value fails at once; each error
 * names the option and the value. picocli parses "NaN" and "Infinity" as doubles, so every real-valued check also
 * refuses those.
 */
final class NumericOptions {
    private NumericOptions() {}

    /**
     * Refuses {@code value} below {@code min}.
     *
     * @param option the option's name, e.g. {@code "--batch-size"}
     * @param value the value given
     * @param min the smallest allowed value
     * @throws IllegalArgumentException naming the option and the value
     */
    static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(option + " must be >= " + min + ", got " + value);
        }
    }

    /**
     * Refuses a value outside (0, 1] (NaN included): a share, a probability mass, a threshold.
     *
     * @param option the option's name
     * @param value the value given
     * @throws IllegalArgumentException naming the option and the value
     */
    static void share(String option, double value) {
        if (!(value > 0 && value <= 1)) {
            throw new IllegalArgumentException(option + " must be in (0, 1], got " + value);
        }
    }

    /**
     * Refuses a negative, infinite or NaN value.
     *
     * @param option the option's name
     * @param value the value given
     * @throws IllegalArgumentException naming the option and the value
     */
    static void finiteNonNegative(String option, double value) {
        if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(option + " must be a finite number >= 0, got " + value);
        }
    }
}
