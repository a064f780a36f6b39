package ai.sara4j.core.rank;

import java.util.Arrays;

/**
 * The singular values of one target matrix, sorted descending, with their cumulative sums: what the
 * {@link RankRule} and the {@link BudgetMatcher} read.
 *
 * <p>Cumulative sums are plain sequential float64 sums in descending order ({@code np.cumsum(s)}), and the total is
 * the last of them, so that {@code cumulative(size()) == total()} exactly and threshold 1 always selects every
 * value. (numpy's {@code s.sum()} sums pairwise and can exceed {@code cumsum(s)[-1]} by an ulp; it does on the
 * TinyStories test model.)
 */
public final class Spectrum {
    private final String module;
    private final double[] values;
    private final double[] cumulative;

    private Spectrum(String module, double[] values, double[] cumulative) {
        this.module = module;
        this.values = values;
        this.cumulative = cumulative;
    }

    /**
     * Validates and sorts (a copy of) the singular values of {@code module}.
     *
     * @param module the module's name, for messages
     * @param singularValues its singular values in any order; not modified
     * @return the spectrum, values descending
     *
     * @throws IllegalArgumentException naming the module for no values, NaN/Inf or negative values, or a zero
     *     matrix (all values 0, where the rank rule is undefined)
     */
    public static Spectrum of(String module, double[] singularValues) {
        if (singularValues.length == 0) {
            throw new IllegalArgumentException(module + ": no singular values");
        }
        double[] sorted = singularValues.clone();
        for (double v : sorted) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException(module + ": singular value " + v
                        + " is not finite (NaN/Inf in the weight?)");
            }
            if (v < 0) {
                throw new IllegalArgumentException(module + ": negative singular value " + v);
            }
        }
        Arrays.sort(sorted);
        for (int i = 0, j = sorted.length - 1; i < j; i++, j--) {
            double t = sorted[i];
            sorted[i] = sorted[j];
            sorted[j] = t;
        }
        if (sorted[0] == 0) {
            throw new IllegalArgumentException(module + ": all singular values are 0 (a zero matrix has no rank"
                    + " to select)");
        }
        double[] cumulative = new double[sorted.length];
        double sum = 0;
        for (int i = 0; i < sorted.length; i++) {
            sum += sorted[i];
            cumulative[i] = sum;
        }
        return new Spectrum(module, sorted, cumulative);
    }

    /**
     * The module these values belong to.
     *
     * @return the module's name, as given to {@link #of}
     */
    public String module() {
        return module;
    }

    /**
     * The number of singular values.
     *
     * @return min(out, in) of the module's weight
     */
    public int size() {
        return values.length;
    }

    /**
     * The singular values.
     *
     * @return a copy of the values, descending
     */
    public double[] values() {
        return values.clone();
    }

    /**
     * The sum of the k largest singular values.
     *
     * @param k how many values, 1 ≤ k ≤ {@link #size()}
     * @return s1 + … + sk, summed sequentially in float64
     * @throws ArrayIndexOutOfBoundsException when k is outside [1, size()]
     */
    public double cumulative(int k) {
        return cumulative[k - 1];
    }

    /**
     * The sum of all singular values.
     *
     * @return {@code cumulative(size())}, exactly
     */
    public double total() {
        return cumulative[values.length - 1];
    }

    /**
     * The rank k of SARA's Algorithm 1: the smallest k ≥ 1 with {@code cumulative(k) >= threshold * total()},
     * one float64 multiplication and comparison, like {@code np.cumsum(s) >= t * np.cumsum(s)[-1]}. The
     * threshold is not validated here; {@link RankRule} does that.
     */
    int rank(double threshold) {
        double bound = threshold * total();
        int lo = 0;
        int hi = values.length - 1; // cumulative[hi] = total >= bound for threshold <= 1
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] >= bound) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo + 1;
    }

    /**
     * The largest threshold in (0, 1] whose rank is at most {@code k}: about {@code cumulative(k) / total()},
     * adjusted by ulps so that it agrees exactly with the floating-point comparison of {@link #rank}. Every
     * threshold up to it gives rank ≤ k, every threshold above it gives rank &gt; k.
     *
     * @param k the rank, 1 ≤ k ≤ {@link #size()}
     * @return the breakpoint threshold; 1.0 for k = size()
     */
    public double largestThresholdForRank(int k) {
        double c = cumulative(k);
        double total = total();
        double t = Math.min(1.0, c / total);
        while (t * total > c) {
            t = Math.nextDown(t);
        }
        while (t < 1.0 && Math.nextUp(t) * total <= c) {
            t = Math.nextUp(t);
        }
        return t;
    }
}
