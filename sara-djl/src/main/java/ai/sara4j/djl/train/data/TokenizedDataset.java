package ai.sara4j.djl.train.data;

import java.util.List;

/**
 * Training examples after tokenization, with what the length limit did to them.
 *
 * @param examples the usable examples, in input order
 * @param truncated examples that were cut at the maximum length (their target lost its end and its EOS)
 * @param dropped examples left out because their prompt alone filled the maximum length (no target token left)
 * @param maxLength the limit applied
 */
public record TokenizedDataset(List<TrainingExample> examples, int truncated, int dropped, int maxLength) {
    /**
     * Copies {@code examples} into an unmodifiable list.
     *
     * @param examples the usable examples, in input order
     * @param truncated examples that were cut at the maximum length
     * @param dropped examples left out because their prompt alone filled the maximum length
     * @param maxLength the limit applied
     */
    public TokenizedDataset {
        examples = List.copyOf(examples);
    }

    /**
     * The number of usable examples.
     *
     * @return {@code examples().size()}
     */
    public int size() {
        return examples.size();
    }

    /**
     * Target tokens over all examples (what one epoch trains on).
     *
     * @return the sum of every example's {@link TrainingExample#targetTokens()}
     */
    public long targetTokens() {
        return examples.stream().mapToLong(TrainingExample::targetTokens).sum();
    }
}
