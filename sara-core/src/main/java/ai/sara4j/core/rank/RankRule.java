package ai.sara4j.core.rank;

/**
 * SARA's Algorithm 1: a module's rank k is the smallest k ≥ 1 whose top-k singular values hold at least
 * {@code threshold} of the sum of all of them, s1 + … + sk ≥ threshold · Σs. Each matrix thus gets its own rank.
 *
 * <p>The comparison is done in float64 on sequential cumulative sums, with the last cumulative sum as the total
 * (see {@link Spectrum}): exactly {@code np.cumsum(s) >= t * np.cumsum(s)[-1]}.
 */
public final class RankRule {
    private final double threshold;

    /**
     * A rule keeping the given share of the singular-value sum.
     *
     * @param threshold the share of the singular-value sum to keep, in (0, 1]
     * @throws IllegalArgumentException naming the value when it is outside (0, 1] or NaN
     */
    public RankRule(double threshold) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold must be in (0, 1], got " + threshold);
        }
        this.threshold = threshold;
    }

    /**
     * The rule's threshold.
     *
     * @return the share of the singular-value sum to keep, in (0, 1]
     */
    public double threshold() {
        return threshold;
    }

    /**
     * The rank of a module from its validated spectrum.
     *
     * @param spectrum the module's singular values
     * @return the smallest k ≥ 1 with s1 + … + sk ≥ threshold · Σs, at most {@code spectrum.size()}
     */
    public int rank(Spectrum spectrum) {
        return spectrum.rank(threshold);
    }

    /**
     * The rank of {@code module} from its singular values, in any order (a copy is sorted).
     *
     * @param module the module's name, for messages
     * @param singularValues the singular values of its weight, min(out, in) of them in any order
     * @return the smallest k ≥ 1 with s1 + … + sk ≥ threshold · Σs
     * @throws IllegalArgumentException naming the module for a zero matrix or NaN/Inf/negative values
     */
    public int rank(String module, double[] singularValues) {
        return rank(Spectrum.of(module, singularValues));
    }

    @Override
    public String toString() {
        return "RankRule[threshold=" + threshold + "]";
    }
}
