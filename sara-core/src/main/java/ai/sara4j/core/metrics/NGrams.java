package ai.sara4j.core.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** N-gram counting and the corpus shape check shared by the corpus metrics (BLEU, NIST, CIDEr, ROUGE-L). */
final class NGrams {
    private NGrams() {}

    /**
     * Counts every n-gram of order 1 to {@code maxOrder}, orders in turn and each in order of first appearance.
     *
     * @param tokens the text's tokens (the keys are views of this list: it must not change afterwards)
     * @param maxOrder the longest n-gram counted
     * @return n-gram → count
     */
    static Map<List<String>, Integer> upTo(List<String> tokens, int maxOrder) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int n = 1; n <= maxOrder; n++) {
            for (int i = 0; i + n <= tokens.size(); i++) {
                counts.merge(tokens.subList(i, i + n), 1, Integer::sum);
            }
        }
        return counts;
    }

    /**
     * Fails unless there is one list of references per hypothesis.
     *
     * @param hypotheses the system outputs, one per segment
     * @param references the references of each segment
     * @throws IllegalArgumentException naming both sizes when they differ
     */
    static void requireAligned(List<String> hypotheses, List<List<String>> references) {
        if (hypotheses.size() != references.size()) {
            throw new IllegalArgumentException(hypotheses.size() + " hypotheses but references for "
                    + references.size() + " segments");
        }
    }
}
