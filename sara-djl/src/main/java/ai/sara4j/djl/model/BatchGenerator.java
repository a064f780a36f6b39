package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy decoding of several prompts at once: the prompts are left-padded to a common length and masked, so each
 * row's logits (and hence its tokens) are those of decoding it alone with {@link Generator}. A row stops at an
 * end-of-sequence token; the batch stops when every row has stopped or after {@code maxNewTokens} steps.
 *
 * <p>Each step runs only the newest token of every row against the key/value cache, inside an {@link NDScope}.
 */
public final class BatchGenerator {
    /** Fed in padded positions; any valid id works since those positions are masked out. */
    private static final long PAD_ID = 0;

    private final CausalLM model;
    private final NDManager manager;

    /**
     * A batch generator for one model.
     *
     * @param model the model to decode with, on {@code manager}'s device
     * @param manager creates the inputs and owns the key/value cache
     */
    public BatchGenerator(CausalLM model, NDManager manager) {
        this.model = model;
        this.manager = manager;
    }

    /**
     * The greedy continuation of each prompt (without the prompt), each ending at an end-of-sequence token if one
     * came, in the order of {@code prompts}.
     *
     * @param prompts the tokenizer's ids of each prompt, each at least one token
     * @param options greedy options (temperature 0): budget {@code maxNewTokens} and stop tokens (the model's
     *     {@code eos_token_id} when null)
     * @return the new ids of each prompt; an empty list for no prompts
     * @throws IllegalArgumentException for sampling options, an empty prompt, or prompts too long for the model
     */
    public List<long[]> generate(List<long[]> prompts, GenerationOptions options) {
        if (options.temperature() != 0) {
            throw new IllegalArgumentException("batched generation is greedy only (temperature 0), got temperature "
                    + options.temperature());
        }
        int batch = prompts.size();
        if (batch == 0) {
            return List.of();
        }
        int promptLength = 0;
        for (int b = 0; b < batch; b++) {
            if (prompts.get(b).length == 0) {
                throw new IllegalArgumentException("prompt " + b + " is empty");
            }
            promptLength = Math.max(promptLength, prompts.get(b).length);
        }
        ModelConfig config = model.config();
        config.checkLength((long) promptLength + options.maxNewTokens(),
                "the longest prompt (" + promptLength + " tokens) plus " + options.maxNewTokens() + " new tokens");
        List<Long> eos = options.eosTokenIds() != null ? options.eosTokenIds() : config.eosTokenIds();
        int width = promptLength + options.maxNewTokens();
        long[] mask = new long[batch * width]; // (B, width) row-major; 1 for real tokens, 0 for left padding
        long[] feed = new long[batch * promptLength]; // (B, promptLength) left-padded prompts
        for (int b = 0; b < batch; b++) {
            long[] p = prompts.get(b);
            int pad = promptLength - p.length;
            Arrays.fill(feed, b * promptLength, b * promptLength + pad, PAD_ID);
            System.arraycopy(p, 0, feed, b * promptLength + pad, p.length);
            Arrays.fill(mask, b * width + pad, b * width + promptLength, 1);
        }
        List<List<Long>> generated = new ArrayList<>();
        boolean[] finished = new boolean[batch];
        for (int b = 0; b < batch; b++) {
            generated.add(new ArrayList<>());
        }
        ParameterStore ps = new ParameterStore(manager, false);
        int length = promptLength;
        int running = batch;
        try (KvCache cache = new KvCache(manager, config.numLayers())) {
            while (running > 0 && length < width) {
                int feedLength = feed.length / batch;
                float[] last; // (B, vocab): the logits of every row's newest position
                try (NDScope step = new NDScope()) {
                    step.suppressNotUsedWarning();
                    NDArray ids = manager.create(feed, new Shape(batch, feedLength));
                    NDArray attention = manager.create(maskPrefix(mask, batch, width, length), new Shape(batch, length));
                    NDArray logits = model.forward(ps, ids, attention, cache, false); // (B, T, vocab)
                    last = logits.get(new NDIndex(":, -1, :")).toFloatArray();
                }
                int vocab = last.length / batch;
                feed = new long[batch];
                for (int b = 0; b < batch; b++) {
                    // a stopped row keeps decoding (its tokens are dropped) so the batch stays rectangular
                    long token = Generator.argmax(Arrays.copyOfRange(last, b * vocab, (b + 1) * vocab));
                    feed[b] = token;
                    mask[b * width + length] = 1;
                    if (!finished[b]) {
                        generated.get(b).add(token);
                        if (eos.contains(token)) {
                            finished[b] = true;
                            running--;
                        }
                    }
                }
                length++;
            }
        }
        return generated.stream().map(g -> g.stream().mapToLong(Long::longValue).toArray()).toList();
    }

    /** The first {@code length} columns of the (B, width) mask. */
    private static long[] maskPrefix(long[] mask, int batch, int width, int length) {
        long[] out = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(mask, b * width, out, b * length, length);
        }
        return out;
    }
}
