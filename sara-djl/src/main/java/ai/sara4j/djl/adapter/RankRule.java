package ai.sara4j.djl.adapter;

/**
 * SARA's Algorithm 1: the smallest k ≥ 1 whose leading singular values sum to at least {@code threshold} of the
 * total. (A local copy until {@code ai.sara4j.core.rank.RankRule} is merged.)
 */
public final class RankRule {
    private RankRule() {}

    /** k for descending singular values {@code sigma} and a threshold in (0, 1]. */
    public static int rank(double[] sigma, double threshold) {
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold must be in (0, 1], got " + threshold);
        }
        double total = 0;
        for (double s : sigma) {
            total += s;
        }
        double sum = 0;
        for (int k = 1; k <= sigma.length; k++) {
            sum += sigma[k - 1];
            if (sum >= threshold * total) {
                return k;
            }
        }
        return sigma.length;
    }
}
