package ai.sara4j.core.metrics;

import java.util.List;
import java.util.Locale;

/**
 * ROUGE-L as the E2E NLG challenge reports it: the coco-caption implementation ({@code pycocoevalcap.rouge.Rouge},
 * used by e2e-metrics) with β = 1.2, the maximum precision and the maximum recall of the longest common subsequence
 * over a segment's references combined into F = (1+β²)·P·R / (R + β²·P), averaged over segments, times 100.
 *
 * <p>Tokens: the text lowercased and split at whitespace. e2e-metrics additionally runs the Stanford PTB tokenizer
 * (which also drops punctuation) before this; SARA4J does not, so on punctuated text its ROUGE-L is close to, not
 * identical with, the challenge script's.
 */
public final class RougeL {
    private static final double BETA_SQUARED = 1.2 * 1.2;

    private RougeL() {}

    /**
     * Corpus ROUGE-L: the mean of the segment F-measures, times 100.
     *
     * @param hypotheses the system outputs, one per segment
     * @param references {@code references.get(i)} holds every reference of segment {@code i}
     * @return the mean segment score on the 0–100 scale
     * @throws IllegalArgumentException when the lists differ in length, are empty, or a segment has no reference
     */
    public static double corpus(List<String> hypotheses, List<List<String>> references) {
        NGrams.requireAligned(hypotheses, references);
        if (hypotheses.isEmpty()) {
            throw new IllegalArgumentException("ROUGE-L of an empty corpus");
        }
        double sum = 0;
        for (int i = 0; i < hypotheses.size(); i++) {
            sum += segment(hypotheses.get(i), references.get(i));
        }
        return 100.0 * sum / hypotheses.size();
    }

    /**
     * One segment's ROUGE-L F-measure (β = 1.2) from the best precision and best recall over its references.
     *
     * @param hypothesis the system output
     * @param references every reference of the segment
     * @return the F-measure in [0, 1]
     * @throws IllegalArgumentException when {@code references} is empty
     */
    public static double segment(String hypothesis, List<String> references) {
        if (references.isEmpty()) {
            throw new IllegalArgumentException("ROUGE-L needs at least one reference");
        }
        List<String> hyp = tokens(hypothesis);
        double precision = 0;
        double recall = 0;
        for (String reference : references) {
            List<String> ref = tokens(reference);
            int lcs = lcsLength(ref, hyp);
            precision = Math.max(precision, (double) lcs / hyp.size());
            recall = Math.max(recall, (double) lcs / ref.size());
        }
        if (precision == 0 || recall == 0) {
            return 0.0;
        }
        return (1 + BETA_SQUARED) * precision * recall / (recall + BETA_SQUARED * precision);
    }

    /** Lowercased whitespace tokens; an empty text is one empty token, as {@code "".split(" ")} is in Python. */
    static List<String> tokens(String text) {
        List<String> tokens = PythonText.split(text.toLowerCase(Locale.ROOT));
        return tokens.isEmpty() ? List.of("") : tokens;
    }

    private static int lcsLength(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = x.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.size()];
    }
}
