package ai.sara4j.core.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Corpus NIST (Doddington 2002) exactly as {@code nltk.translate.nist_score.corpus_nist} computes it, on the tokens of
 * {@link Tokenizer13a} applied to the lower-cased text (the E2E challenge scores NIST case-insensitively on
 * mteval-13a-style tokens, with n-grams up to 5).
 *
 * <p>Information weights come from n-gram counts over every reference of the corpus: {@code info(w1..wn) =
 * log2(count(w1..wn-1) / count(w1..wn))}, with the total number of reference tokens in place of the count of the empty
 * prefix. For each order and segment, the reference whose clipped matches give the highest information-weighted
 * precision is taken (ties: the higher weighted sum, then the longer reference, as nltk's {@code max} over tuples);
 * its weighted sum and the hypothesis n-gram count add to that order's numerator and denominator, its length to the
 * reference length. The score is the sum over orders of numerator / denominator, times the penalty
 * {@code exp(β·ln²(min(sysLen/refLen, 1)))} with β chosen so that a ratio of 2/3 gives 0.5. The one departure from
 * nltk: an order with no hypothesis n-gram in the whole corpus adds 0 (nltk divides by zero there).
 *
 * <p>This is not byte-for-byte the NIST of the challenge's {@code e2e-metrics} script (a reimplementation of
 * mteval's, which differs in how it combines multiple references), so values are comparable with nltk's, not with the
 * published E2E tables.
 */
public final class Nist {
    /** The highest n-gram order of the E2E challenge's NIST. */
    public static final int MAX_ORDER = 5;

    private static final double LOG2 = Math.log(2);
    /** β of the length penalty: ln(0.5) / ln²(1.5). */
    private static final double BETA = Math.log(0.5) / (Math.log(1.5) * Math.log(1.5));

    private Nist() {}

    /**
     * Corpus NIST with n-grams up to {@link #MAX_ORDER}.
     *
     * @param hypotheses the system outputs, one per segment
     * @param references the references of each segment, in the order of {@code hypotheses}
     * @return the corpus NIST score (0 or more; not on a 0–100 scale)
     * @throws IllegalArgumentException when the two lists differ in length, a segment has no reference, or the
     *     references hold no token at all
     */
    public static double corpus(List<String> hypotheses, List<List<String>> references) {
        return corpus(hypotheses, references, MAX_ORDER);
    }

    /**
     * Corpus NIST with n-grams up to {@code maxOrder}.
     *
     * @param hypotheses the system outputs, one per segment
     * @param references the references of each segment, in the order of {@code hypotheses}
     * @param maxOrder the highest n-gram order (at least 1)
     * @return the corpus NIST score
     * @throws IllegalArgumentException when the two lists differ in length, a segment has no reference, the
     *     references hold no token at all, or {@code maxOrder} &lt; 1
     */
    public static double corpus(List<String> hypotheses, List<List<String>> references, int maxOrder) {
        NGrams.requireAligned(hypotheses, references);
        if (maxOrder < 1) {
            throw new IllegalArgumentException("NIST maxOrder must be at least 1, got " + maxOrder);
        }
        List<List<String>> hyps = hypotheses.stream().map(Nist::tokens).toList();
        List<List<List<String>>> refs = new ArrayList<>();
        Map<List<String>, Integer> refCounts = new HashMap<>();
        long refWords = 0;
        for (int s = 0; s < references.size(); s++) {
            if (references.get(s).isEmpty()) {
                throw new IllegalArgumentException("segment " + s + " has no reference");
            }
            List<List<String>> segment = references.get(s).stream().map(Nist::tokens).toList();
            for (List<String> ref : segment) {
                NGrams.upTo(ref, maxOrder).forEach((g, c) -> refCounts.merge(g, c, Integer::sum));
                refWords += ref.size();
            }
            refs.add(segment);
        }
        if (refWords == 0) {
            throw new IllegalArgumentException("the references hold no token, so NIST's information weights are "
                    + "undefined");
        }
        double precisionSum = 0;
        long refLen = 0;
        long sysLen = 0;
        for (int n = 1; n <= maxOrder; n++) {
            double numerator = 0;
            long denominator = 0;
            for (int s = 0; s < hyps.size(); s++) {
                Map<List<String>, Integer> hypGrams = ngrams(hyps.get(s), n);
                int hypTotal = hyps.get(s).size() >= n ? hyps.get(s).size() - n + 1 : 0;
                double bestPrecision = -1;
                double bestSum = 0;
                int bestLength = 0;
                for (List<String> ref : refs.get(s)) {
                    Map<List<String>, Integer> refGrams = ngrams(ref, n);
                    double sum = 0;
                    for (Map.Entry<List<String>, Integer> e : hypGrams.entrySet()) {
                        int overlap = Math.min(e.getValue(), refGrams.getOrDefault(e.getKey(), 0));
                        if (overlap > 0) {
                            sum += information(e.getKey(), refCounts, refWords) * overlap;
                        }
                    }
                    double precision = hypTotal == 0 ? 0 : sum / hypTotal;
                    if (precision > bestPrecision || (precision == bestPrecision
                            && (sum > bestSum || (sum == bestSum && ref.size() > bestLength)))) {
                        bestPrecision = precision;
                        bestSum = sum;
                        bestLength = ref.size();
                    }
                }
                numerator += bestSum;
                denominator += hypTotal;
                refLen += bestLength;
                sysLen += hyps.get(s).size();
            }
            precisionSum += denominator == 0 ? 0 : numerator / denominator;
        }
        return precisionSum * lengthPenalty(refLen, sysLen);
    }

    /** nltk's {@code nist_length_penalty}: {@code exp(β·ln²(ratio))} below 1, else {@code min(ratio, 1)}. */
    private static double lengthPenalty(long refLen, long sysLen) {
        double ratio = (double) sysLen / refLen;
        if (ratio > 0 && ratio < 1) {
            double log = Math.log(ratio);
            return Math.exp(BETA * log * log);
        }
        return Math.max(Math.min(ratio, 1.0), 0.0);
    }

    /** The information weight of an n-gram seen in the references. */
    private static double information(List<String> gram, Map<List<String>, Integer> refCounts, long refWords) {
        double prefix = gram.size() == 1 ? refWords : refCounts.get(gram.subList(0, gram.size() - 1));
        return Math.log(prefix / refCounts.get(gram)) / LOG2;
    }

    /** The lower-cased text in {@link Tokenizer13a} tokens. */
    private static List<String> tokens(String text) {
        return Tokenizer13a.tokenize(text.toLowerCase(Locale.ROOT));
    }

    /** Counts of the n-grams of one order, in order of first appearance. */
    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(tokens.subList(i, i + n), 1, Integer::sum);
        }
        return counts;
    }
}
