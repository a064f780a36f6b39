package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Autoregressive decoding of one sequence: greedy or temperature/top-p sampling, with a key/value cache so each
 * step runs only the newest token. Every step's arrays are closed by an {@link NDScope}; only the cache persists.
 */
public final class Generator {
    private final CausalLM model;
    private final NDManager manager;

    /**
     * A generator for one model.
     *
     * @param model the model to decode with, on {@code manager}'s device
     * @param manager creates the inputs and owns the key/value cache (in a sub-manager closed after each call)
     */
    public Generator(CausalLM model, NDManager manager) {
        this.model = model;
        this.manager = manager;
    }

    /**
     * Decodes a continuation of a prompt, one token per step, feeding only the new token when the cache is on.
     *
     * @param promptIds the tokenizer's ids for the prompt, at least one
     * @param options budget, greedy or sampled decoding, stop tokens and cache
     * @return the new token ids (without the prompt), ending with the end-of-sequence token if one was generated
     * @throws IllegalArgumentException for an empty prompt, or when a model with learned positions (GPT-2) has
     *     fewer positions than the prompt plus the budget
     */
    public long[] generate(long[] promptIds, GenerationOptions options) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("cannot generate from an empty prompt");
        }
        ModelConfig config = model.config();
        config.checkLength((long) promptIds.length + options.maxNewTokens(),
                "prompt (" + promptIds.length + " tokens) plus " + options.maxNewTokens() + " new tokens");
        List<Long> eos = options.eosTokenIds() != null ? options.eosTokenIds() : config.eosTokenIds();
        Random random = new Random(options.seed());
        ParameterStore ps = new ParameterStore(manager, false);
        long[] sequence = Arrays.copyOf(promptIds, promptIds.length + options.maxNewTokens());
        int length = promptIds.length;
        try (KvCache cache = options.useCache() ? new KvCache(manager, config.numLayers()) : null) {
            while (length < sequence.length) {
                int from = cache == null ? 0 : cache.length();
                float[] last;
                try (NDScope step = new NDScope()) {
                    step.suppressNotUsedWarning();
                    long[] feed = Arrays.copyOfRange(sequence, from, length);
                    NDArray ids = manager.create(feed, new Shape(1, feed.length));
                    NDArray logits = model.forward(ps, ids, null, cache, false); // (1, T, vocab)
                    last = logits.get(new NDIndex("0, -1")).toFloatArray();
                }
                long token = options.temperature() == 0 ? argmax(last) : sample(last, options, random);
                sequence[length++] = token;
                if (eos.contains(token)) {
                    break;
                }
            }
        }
        return Arrays.copyOfRange(sequence, promptIds.length, length);
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Samples from softmax(logits / temperature) restricted to the top-p nucleus. */
    static int sample(float[] logits, GenerationOptions options, Random random) {
        int n = logits.length;
        double max = logits[argmax(logits)];
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp((logits[i] - max) / options.temperature());
            sum += p[i];
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        int kept = 0;
        double mass = 0;
        while (kept < n && (kept == 0 || mass < options.topP())) {
            mass += p[order[kept++]];
        }
        double u = random.nextDouble() * mass;
        for (int k = 0; k < kept; k++) {
            u -= p[order[k]];
            if (u <= 0) {
                return order[k];
            }
        }
        return order[kept - 1];
    }
}
