package ai.sara4j.djl.model;

import java.util.List;

/**
 * How to continue a prompt.
 *
 * @param maxNewTokens upper bound on generated tokens
 * @param temperature 0 for greedy decoding; otherwise logits are divided by it before sampling
 * @param topP nucleus sampling: sample among the most likely tokens whose probabilities first reach topP
 *     (1 = all tokens)
 * @param seed seed of the sampler, so a sampled continuation can be reproduced
 * @param eosTokenIds tokens that end generation, or null for the model config's {@code eos_token_id}
 * @param useCache keep keys and values of earlier positions (the normal case); false recomputes the whole
 *     sequence at every step, which is slower and only useful for checking the cache
 */
public record GenerationOptions(int maxNewTokens, double temperature, double topP, long seed, List<Long> eosTokenIds,
        boolean useCache) {

    /**
     * Validates the options and copies the end-of-sequence ids.
     *
     * @param maxNewTokens upper bound on generated tokens, at least 0
     * @param temperature 0 for greedy decoding, otherwise positive
     * @param topP nucleus mass in (0, 1]
     * @param seed seed of the sampler
     * @param eosTokenIds tokens that end generation, or null for the model's
     * @param useCache whether to keep a key/value cache
     * @throws IllegalArgumentException for a negative budget or temperature, or topP outside (0, 1]
     */
    public GenerationOptions {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        eosTokenIds = eosTokenIds == null ? null : List.copyOf(eosTokenIds);
    }

    /**
     * Greedy decoding (the SARA paper's evaluation setting) with the key/value cache.
     *
     * @param maxNewTokens upper bound on generated tokens
     * @return options stopping at the model config's end-of-sequence tokens
     * @throws IllegalArgumentException when {@code maxNewTokens} is negative
     */
    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0, 1, 0, null, true);
    }

    /**
     * These options with temperature/top-p sampling from a seeded generator.
     *
     * @param temperature the logits are divided by it before the softmax; 0 means greedy
     * @param topP the nucleus mass in (0, 1]; 1 samples from every token
     * @param seed seed of the sampler
     * @return new options; the others unchanged
     * @throws IllegalArgumentException for a negative temperature or topP outside (0, 1]
     */
    public GenerationOptions sampling(double temperature, double topP, long seed) {
        return new GenerationOptions(maxNewTokens, temperature, topP, seed, eosTokenIds, useCache);
    }

    /**
     * These options stopping at other tokens than the config's end-of-sequence ones.
     *
     * @param ids the token ids that end generation; empty never stops early, null restores the config's
     * @return new options; the others unchanged
     */
    public GenerationOptions stoppingAt(List<Long> ids) {
        return new GenerationOptions(maxNewTokens, temperature, topP, seed, ids, useCache);
    }

    /**
     * These options with or without the key/value cache.
     *
     * @param cache false to recompute the whole sequence at every step (for checking the cache)
     * @return new options; the others unchanged
     */
    public GenerationOptions withCache(boolean cache) {
        return new GenerationOptions(maxNewTokens, temperature, topP, seed, eosTokenIds, cache);
    }
}
