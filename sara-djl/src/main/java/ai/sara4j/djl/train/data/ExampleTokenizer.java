package ai.sara4j.djl.train.data;

import ai.sara4j.djl.model.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns (prompt, target) text pairs into {@link TrainingExample}s: prompt ids (with the tokenizer's special tokens,
 * e.g. LLaMA's BOS), then target ids without special tokens plus EOS; the loss counts the target only.
 *
 * <p>Prompt and target are tokenized separately, so the boundary between them is exact (tokenizing the joined text
 * can merge the prompt's last characters with the target's first ones).
 *
 * <p>Length limit: a sequence longer than {@code maxLength} keeps its first {@code maxLength} tokens, i.e. the whole
 * prompt and the start of the target, as LLM-Adapters' {@code cutoff_len} does (the instruction is kept intact; the
 * target loses its end and its EOS). An example whose prompt alone reaches the limit has no target token left and is
 * dropped. Both counts are returned and logged, never silent.
 */
public final class ExampleTokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(ExampleTokenizer.class);

    private final Function<String, long[]> promptEncoder;
    private final Function<String, long[]> targetEncoder;
    private final long eosId;
    private final int maxLength;

    /**
     * @param promptEncoder ids of a prompt, with the special tokens the model expects at the start
     * @param targetEncoder ids of a target, without special tokens
     * @param eosId appended after the target
     * @param maxLength longest sequence kept (prompt + target + EOS)
     */
    public ExampleTokenizer(Function<String, long[]> promptEncoder, Function<String, long[]> targetEncoder, long eosId,
            int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length must be >= 2, got " + maxLength);
        }
        this.promptEncoder = promptEncoder;
        this.targetEncoder = targetEncoder;
        this.eosId = eosId;
        this.maxLength = maxLength;
    }

    /** For a model's tokenizer. */
    public static ExampleTokenizer of(TextTokenizer tokenizer, long eosId, int maxLength) {
        return new ExampleTokenizer(tokenizer::encode, tokenizer::encodeWithoutSpecialTokens, eosId, maxLength);
    }

    /** Tokenizes {@code prompts.get(i)} with {@code targets.get(i)} for every i. */
    public TokenizedDataset tokenize(List<String> prompts, List<String> targets) {
        if (prompts.size() != targets.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + targets.size() + " targets");
        }
        List<TrainingExample> examples = new ArrayList<>(prompts.size());
        int truncated = 0;
        int dropped = 0;
        for (int i = 0; i < prompts.size(); i++) {
            long[] prompt = promptEncoder.apply(prompts.get(i));
            long[] target = targetEncoder.apply(targets.get(i));
            int fullLength = prompt.length + target.length + 1;
            if (prompt.length >= maxLength) {
                dropped++;
                continue;
            }
            if (fullLength > maxLength) {
                truncated++;
            }
            int length = Math.min(fullLength, maxLength);
            long[] ids = new long[length];
            long[] labels = new long[length];
            for (int t = 0; t < length; t++) {
                int j = t - prompt.length;
                ids[t] = j < 0 ? prompt[t] : j < target.length ? target[j] : eosId;
                labels[t] = j < 0 ? TrainingExample.IGNORE : ids[t];
            }
            examples.add(new TrainingExample(ids, labels));
        }
        if (truncated > 0 || dropped > 0) {
            LOG.warn("max length {}: {} of {} examples truncated (target end cut), {} dropped (prompt alone too long)",
                    maxLength, truncated, prompts.size(), dropped);
        }
        return new TokenizedDataset(examples, truncated, dropped, maxLength);
    }
}
