package ai.sara4j.djl.train.data;

import ai.sara4j.core.data.Example;
import ai.sara4j.djl.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns (prompt, target) text pairs into {@link TrainingExample}s the way LLM-Adapters' {@code finetune.py}
 * ({@code train_on_inputs=False}) does: the joined text {@code prompt + target} is tokenized once (with the
 * tokenizer's special tokens, e.g. LLaMA's BOS) and EOS appended; the first n labels are masked, n being the length
 * of the prompt tokenized alone; the loss counts the rest.
 *
 * <p>Tokenizing the joined text gives the ids a model sees at inference, where the target continues the prompt;
 * tokenizing the target on its own would start it like a new text (a SentencePiece tokenizer then adds an extra
 * {@code ▁} token). When the joint tokenization merges characters across the boundary, position n falls inside
 * the merged token, as in LLM-Adapters.
 *
 * <p>Length limit: a sequence longer than {@code maxLength} keeps its first {@code maxLength} tokens, i.e. the whole
 * prompt and the start of the target, as LLM-Adapters' {@code cutoff_len} does (the target loses its end and its
 * EOS). An example whose prompt alone reaches the limit has no target token left and is dropped. Both counts are
 * returned and logged, never silent.
 */
public final class ExampleTokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(ExampleTokenizer.class);

    private final Function<String, long[]> encoder;
    private final long eosId;
    private final int maxLength;

    /**
     * An example tokenizer over any encoder.
     *
     * @param encoder ids of a text, with the special tokens the model expects
     * @param eosId appended after the target (unless the encoder already ends the text with it)
     * @param maxLength longest sequence kept (prompt + target + EOS), at least 2
     * @throws IllegalArgumentException when {@code maxLength} is below 2
     */
    public ExampleTokenizer(Function<String, long[]> encoder, long eosId, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max length must be >= 2, got " + maxLength);
        }
        this.encoder = encoder;
        this.eosId = eosId;
        this.maxLength = maxLength;
    }

    /**
     * An example tokenizer for a model's tokenizer.
     *
     * @param tokenizer encodes with the special tokens transformers would add
     * @param eosId appended after the target (usually {@link TextTokenizer#eosTokenId()})
     * @param maxLength longest sequence kept (prompt + target + EOS), at least 2
     * @return the example tokenizer
     * @throws IllegalArgumentException when {@code maxLength} is below 2
     */
    public static ExampleTokenizer of(TextTokenizer tokenizer, long eosId, int maxLength) {
        return new ExampleTokenizer(tokenizer::encode, eosId, maxLength);
    }

    /**
     * Tokenizes each example's prompt with its target ({@link #tokenize(List, List)}).
     *
     * @param examples (prompt, target) pairs, e.g. from {@code E2eData.examples} or {@code LlmAdaptersData.examples}
     * @return the usable examples in input order, with the truncated and dropped counts
     */
    public TokenizedDataset tokenize(List<Example> examples) {
        return tokenize(examples.stream().map(Example::prompt).toList(),
                examples.stream().map(Example::target).toList());
    }

    /**
     * Tokenizes {@code prompts.get(i)} with {@code targets.get(i)} for every i; logs how many examples were
     * truncated or dropped.
     *
     * @param prompts the prompts (with their template applied)
     * @param targets the targets, one per prompt
     * @return the usable examples in input order, with the truncated and dropped counts
     * @throws IllegalArgumentException when the lists differ in size
     */
    public TokenizedDataset tokenize(List<String> prompts, List<String> targets) {
        if (prompts.size() != targets.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + targets.size() + " targets");
        }
        List<TrainingExample> examples = new ArrayList<>(prompts.size());
        int truncated = 0;
        int dropped = 0;
        for (int i = 0; i < prompts.size(); i++) {
            long[] prompt = encoder.apply(prompts.get(i));
            int promptLength = endsWithEos(prompt) ? prompt.length - 1 : prompt.length; // as add_eos_token=False
            long[] full = withEos(encoder.apply(prompts.get(i) + targets.get(i)));
            if (promptLength >= maxLength) {
                dropped++;
                continue;
            }
            if (full.length > maxLength) {
                truncated++;
            }
            long[] ids = Arrays.copyOf(full, Math.min(full.length, maxLength));
            long[] labels = ids.clone();
            Arrays.fill(labels, 0, Math.min(promptLength, ids.length), TrainingExample.IGNORE);
            examples.add(new TrainingExample(ids, labels));
        }
        if (truncated > 0 || dropped > 0) {
            LOG.warn("max length {}: {} of {} examples truncated (target end cut), {} dropped (prompt alone too long)",
                    maxLength, truncated, prompts.size(), dropped);
        }
        return new TokenizedDataset(examples, truncated, dropped, maxLength);
    }

    private long[] withEos(long[] ids) {
        if (endsWithEos(ids)) {
            return ids;
        }
        long[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eosId;
        return out;
    }

    private boolean endsWithEos(long[] ids) {
        return ids.length > 0 && ids[ids.length - 1] == eosId;
    }
}
