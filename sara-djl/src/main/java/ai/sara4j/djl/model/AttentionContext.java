package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;

/**
 * What every layer's attention needs besides its input, computed once per forward by {@link CausalLM}.
 *
 * @param cos rotary cosines (B, 1, T, rotaryDim), or null without rope
 * @param sin rotary sines (B, 1, T, rotaryDim), or null without rope
 * @param bias additive attention mask (B, 1, T, past + T): 0 where a query may attend, a large negative elsewhere
 * @param cache key/value cache to read and extend, or null
 */
record AttentionContext(NDArray cos, NDArray sin, NDArray bias, KvCache cache) {}
