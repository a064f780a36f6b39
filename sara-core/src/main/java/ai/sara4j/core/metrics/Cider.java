package ai.sara4j.core.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * CIDEr-D as the E2E NLG challenge reports it: coco-caption's {@code pycocoevalcap.cider.Cider} (used by
 * e2e-metrics), after Vedantam et al. 2015. For n-gram orders 1..4 every text becomes a TF-IDF vector with weights
 * {@code tf · (log N − log max(1, df))}, where N is the number of segments and df counts the segments in which the
 * n-gram occurs in at least one reference (document frequencies come from the corpus being scored). Per order, the
 * hypothesis scores against each reference the clipped cosine {@code Σ min(w_hyp, w_ref)·w_ref / (|w_hyp|·|w_ref|)}
 * (the division skipped when a norm is 0) times the Gaussian length penalty {@code exp(−δ²/(2σ²))}, σ = 6, with δ the
 * difference of the texts' bigram counts (coco-caption's length). A segment scores 10 × the mean over the orders of
 * the sum over its references, divided by the number of references; the corpus score is the mean over segments, on
 * this native scale (a perfect match of a single reference per segment scores 10).
 *
 * <p>Tokens: the text lowercased and split at whitespace, as {@link RougeL} tokenizes. e2e-metrics additionally runs
 * the Stanford PTB tokenizer (which also drops punctuation) first; SARA4J does not, so on punctuated text its CIDEr is
 * close to, not identical with, the challenge script's.
 */
public final class Cider {
    /** The highest n-gram order. */
    public static final int MAX_ORDER = 4;
    private static final double SIGMA = 6.0;

    private Cider() {}

    /**
     * The corpus score and every segment's score.
     *
     * @param score the mean of the segment scores
     * @param segments one score per segment, in input order
     */
    public record Score(double score, double[] segments) {}

    /**
     * Corpus CIDEr-D of {@code hypotheses} against {@code references}, with document frequencies from these
     * references.
     *
     * @param hypotheses the system outputs, one per segment
     * @param references {@code references.get(i)} holds every reference of segment {@code i}
     * @return the corpus score and the segment scores
     * @throws IllegalArgumentException when the lists differ in length, are empty, or a segment has no reference
     */
    public static Score corpus(List<String> hypotheses, List<List<String>> references) {
        NGrams.requireAligned(hypotheses, references);
        if (hypotheses.isEmpty()) {
            throw new IllegalArgumentException("CIDEr of an empty corpus");
        }
        List<List<Map<List<String>, Integer>>> refCounts = new ArrayList<>(references.size());
        Map<List<String>, Integer> documentFrequency = new HashMap<>();
        for (int s = 0; s < references.size(); s++) {
            if (references.get(s).isEmpty()) {
                throw new IllegalArgumentException("segment " + s + " has no reference");
            }
            List<Map<List<String>, Integer>> counts = references.get(s).stream().map(Cider::ngramCounts).toList();
            Set<List<String>> seen = new HashSet<>();
            counts.forEach(c -> seen.addAll(c.keySet()));
            seen.forEach(g -> documentFrequency.merge(g, 1, Integer::sum));
            refCounts.add(counts);
        }
        double refLen = Math.log(references.size());
        double[] segments = new double[hypotheses.size()];
        double sum = 0;
        for (int s = 0; s < segments.length; s++) {
            Vector hyp = new Vector(ngramCounts(hypotheses.get(s)), documentFrequency, refLen);
            double orders = 0;
            for (Map<List<String>, Integer> ref : refCounts.get(s)) {
                orders += hyp.similarity(new Vector(ref, documentFrequency, refLen));
            }
            segments[s] = 10.0 * (orders / MAX_ORDER) / refCounts.get(s).size();
            sum += segments[s];
        }
        return new Score(sum / segments.length, segments);
    }

    /** Counts of the n-grams of order 1..4 of the lowercased whitespace tokens. */
    private static Map<List<String>, Integer> ngramCounts(String text) {
        return NGrams.upTo(PythonText.split(text.toLowerCase(Locale.ROOT)), MAX_ORDER);
    }

    /** A text's TF-IDF weights per order, their norms, and its length as coco-caption counts it (bigrams). */
    private static final class Vector {
        private final List<Map<List<String>, Double>> weights = new ArrayList<>(MAX_ORDER);
        private final double[] norms = new double[MAX_ORDER];
        private int length;

        Vector(Map<List<String>, Integer> counts, Map<List<String>, Integer> documentFrequency, double refLen) {
            for (int n = 0; n < MAX_ORDER; n++) {
                weights.add(new HashMap<>());
            }
            for (Map.Entry<List<String>, Integer> e : counts.entrySet()) {
                int order = e.getKey().size() - 1;
                double df = Math.log(Math.max(1.0, documentFrequency.getOrDefault(e.getKey(), 0)));
                double w = e.getValue() * (refLen - df);
                weights.get(order).put(e.getKey(), w);
                norms[order] += w * w;
                if (order == 1) {
                    length += e.getValue();
                }
            }
            for (int n = 0; n < MAX_ORDER; n++) {
                norms[n] = Math.sqrt(norms[n]);
            }
        }

        /** The sum over the orders of the clipped, length-penalised cosine of this hypothesis with {@code ref}. */
        double similarity(Vector ref) {
            double delta = length - ref.length;
            double penalty = Math.exp(-(delta * delta) / (2 * SIGMA * SIGMA));
            double total = 0;
            for (int n = 0; n < MAX_ORDER; n++) {
                double dot = 0;
                for (Map.Entry<List<String>, Double> e : weights.get(n).entrySet()) {
                    double r = ref.weights.get(n).getOrDefault(e.getKey(), 0.0);
                    dot += Math.min(e.getValue(), r) * r;
                }
                if (norms[n] != 0 && ref.norms[n] != 0) {
                    dot /= norms[n] * ref.norms[n];
                }
                total += dot * penalty;
            }
            return total;
        }
    }
}
