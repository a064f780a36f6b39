package ai.sara4j.core.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Corpus BLEU as {@code sacrebleu.corpus_bleu} computes it with its defaults: {@link Tokenizer13a}, case-sensitive,
 * n-grams up to 4 clipped by the maximum count in any reference of the segment, brevity penalty against the sum of
 * the closest reference lengths (ties: the shorter), and the {@code exp} smoothing of mteval-v13a (the k-th order with
 * no match counts as 1/(2^k·total)). Segments may have different numbers of references.
 */
public final class Bleu {
    /** The highest n-gram order. */
    public static final int MAX_ORDER = 4;

    private Bleu() {}

    /**
     * The score and its sufficient statistics.
     *
     * @param score BLEU on sacreBLEU's 0–100 scale
     * @param correct matched n-grams per order 1..4
     * @param total hypothesis n-grams per order 1..4
     * @param sysLen total hypothesis tokens
     * @param refLen total closest-reference tokens
     * @param brevityPenalty the brevity penalty
     */
    public record Score(double score, long[] correct, long[] total, long sysLen, long refLen, double brevityPenalty) {}

    /**
     * Corpus BLEU of {@code hypotheses} against {@code references}, where {@code references.get(i)} holds every
     * reference of segment {@code i} (at least one).
     *
     * @param hypotheses the system outputs, one per segment
     * @param references the references of each segment, in the order of {@code hypotheses}
     * @return the corpus score (0–100) with its n-gram and length statistics
     * @throws IllegalArgumentException when the two lists differ in length or a segment has no reference
     */
    public static Score corpus(List<String> hypotheses, List<List<String>> references) {
        NGrams.requireAligned(hypotheses, references);
        long[] correct = new long[MAX_ORDER];
        long[] total = new long[MAX_ORDER];
        long sysLen = 0;
        long refLen = 0;
        for (int s = 0; s < hypotheses.size(); s++) {
            List<String> refs = references.get(s);
            if (refs.isEmpty()) {
                throw new IllegalArgumentException("segment " + s + " has no reference");
            }
            Map<List<String>, Integer> maxRefCounts = new HashMap<>();
            int[] refLengths = new int[refs.size()];
            for (int r = 0; r < refs.size(); r++) {
                List<String> tokens = Tokenizer13a.tokenize(refs.get(r));
                refLengths[r] = tokens.size();
                NGrams.upTo(tokens, MAX_ORDER).forEach((g, c) -> maxRefCounts.merge(g, c, Math::max));
            }
            List<String> hyp = Tokenizer13a.tokenize(hypotheses.get(s));
            sysLen += hyp.size();
            refLen += closestLength(hyp.size(), refLengths);
            for (Map.Entry<List<String>, Integer> e : NGrams.upTo(hyp, MAX_ORDER).entrySet()) {
                int n = e.getKey().size() - 1;
                total[n] += e.getValue();
                correct[n] += Math.min(e.getValue(), maxRefCounts.getOrDefault(e.getKey(), 0));
            }
        }
        return score(correct, total, sysLen, refLen);
    }

    /** BLEU from corpus statistics (sacreBLEU's {@code compute_bleu} with {@code exp} smoothing). */
    static Score score(long[] correct, long[] total, long sysLen, long refLen) {
        double bp = sysLen >= refLen ? 1.0 : sysLen > 0 ? Math.exp(1.0 - (double) refLen / sysLen) : 0.0;
        boolean anyMatch = false;
        for (long c : correct) {
            anyMatch |= c != 0;
        }
        if (!anyMatch) {
            return new Score(0.0, correct, total, sysLen, refLen, bp);
        }
        double[] precisions = new double[MAX_ORDER];
        double smooth = 1.0;
        for (int n = 0; n < MAX_ORDER; n++) {
            if (total[n] == 0) {
                break; // the remaining orders keep precision 0, which sends the score to 0 as in sacreBLEU
            }
            if (correct[n] == 0) {
                smooth *= 2;
                precisions[n] = 100.0 / (smooth * total[n]);
            } else {
                precisions[n] = 100.0 * correct[n] / total[n];
            }
        }
        double logSum = 0;
        for (double p : precisions) {
            logSum += p == 0.0 ? -9999999999.0 : Math.log(p); // sacreBLEU's my_log floor
        }
        return new Score(bp * Math.exp(logSum / MAX_ORDER), correct, total, sysLen, refLen, bp);
    }

    /** The reference length closest to the hypothesis length, the shorter one on ties. */
    private static int closestLength(int hypLength, int[] refLengths) {
        int best = refLengths[0];
        for (int len : refLengths) {
            int d = Math.abs(hypLength - len);
            int bestD = Math.abs(hypLength - best);
            if (d < bestD || (d == bestD && len < best)) {
                best = len;
            }
        }
        return best;
    }

}
