package ai.sara4j.djl.model;

import java.util.List;
import java.util.Objects;

/**
 * How to continue a prompt: greedy by default ({@link #greedy}), changed with {@link #sampling}, {@link #stoppingAt}
 * and {@link #withCache}. Immutable.
 */
public final class GenerationOptions {
    private final int maxNewTokens;
    private final double temperature;
    private final double topP;
    private final long seed;
    private final List<Long> eosTokenIds;
    private final boolean useCache;

    private GenerationOptions(int maxNewTokens, double temperature, double topP, long seed, List<Long> eosTokenIds,
            boolean useCache) {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0 && Double.isFinite(temperature))) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        this.maxNewTokens = maxNewTokens;
        this.temperature = temperature;
        this.topP = topP;
        this.seed = seed;
        this.eosTokenIds = eosTokenIds == null ? null : List.copyOf(eosTokenIds);
        this.useCache = useCache;
    }

    /** {@return the upper bound on generated tokens} */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** {@return 0 for greedy decoding; otherwise the logits are divided by it before sampling} */
    public double temperature() {
        return temperature;
    }

    /**
     * {@return the nucleus mass: sampling is among the most likely tokens whose probabilities first reach it (1: all
     * tokens)}
     */
    public double topP() {
        return topP;
    }

    /** {@return the seed of the sampler, so that a sampled continuation can be reproduced} */
    public long seed() {
        return seed;
    }

    /** {@return the tokens that end generation, or null for the model config's {@code eos_token_id}} */
    public List<Long> eosTokenIds() {
        return eosTokenIds;
    }

    /**
     * {@return whether keys and values of earlier positions are kept (the normal case); false recomputes the whole
     * sequence at every step, which is slower and only useful for checking the cache}
     */
    public boolean useCache() {
        return useCache;
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
     * @throws IllegalArgumentException for a negative or infinite temperature, or topP outside (0, 1]
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

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationOptions g && maxNewTokens == g.maxNewTokens
                && Double.compare(temperature, g.temperature) == 0 && Double.compare(topP, g.topP) == 0
                && seed == g.seed && Objects.equals(eosTokenIds, g.eosTokenIds) && useCache == g.useCache;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxNewTokens, temperature, topP, seed, eosTokenIds, useCache);
    }

    @Override
    public String toString() {
        return "GenerationOptions[maxNewTokens=" + maxNewTokens + ", temperature=" + temperature + ", topP=" + topP
                + ", seed=" + seed + ", eosTokenIds=" + eosTokenIds + ", useCache=" + useCache + "]";
    }
}
