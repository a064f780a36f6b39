package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * What every layer's attention needs besides its input, computed once per forward by {@link CausalLM}.
 *
 * <p>Which keys each query may see is one boolean mask, {@code allowed} (B, 1, T, S) with S = past + T: key j is a
 * token (not padding) and j ≤ past + i. A query that sees no key at all (a left-padding position) is given every key
 * instead, as transformers' {@code _unmask_unattended} does for its sdpa attention: its output is read by no real
 * token and no loss, and a row with no allowed key would make the fused kernels' softmax 0/0 (NaN). The boolean mask
 * serves every dtype (libtorch turns it into 0 / −∞ in the query's dtype), where an additive float mask would have
 * to be in the query's dtype with that dtype's own "minus infinity".
 *
 * <p>A sliding-window layer (Mistral, Gemma 2, …) sees only its window's keys: key j also has
 * j > past + i − window, as transformers' {@code sliding_window_overlay}. Both masks are made once per forward
 * when the model has such layers.
 *
 * @param cos rotary cosines (B, 1, T, rotaryDim), or null without rope
 * @param sin rotary sines (B, 1, T, rotaryDim), or null without rope
 * @param full the mask of full causal attention
 * @param sliding the mask of the sliding-window layers, or null when the model has none
 * @param cache key/value cache to read and extend, or null
 */
record AttentionContext(NDArray cos, NDArray sin, Mask full, Mask sliding, KvCache cache) {
    /** The additive mask of the eager path: where a query may not attend, the float32 minimum. */
    private static final float MASKED = -Float.MAX_VALUE;

    /**
     * How the fused attention passes the mask to {@code scaled_dot_product_attention}. On a GPU the flash kernel
     * takes no mask at all (only {@code is_causal}), and the memory-efficient kernel takes a mask at a cost, so the
     * mask is left out whenever it says nothing beyond causality.
     */
    enum MaskLayout {
        /** No padding and no cached keys (training without padding, a prefill): {@code is_causal=True}, no mask. */
        CAUSAL,
        /** No padding and one query after the cache (a decoding step): every key is visible, no mask. */
        NONE,
        /**
         * Padding, several queries after cached keys ({@code is_causal} would align the triangle wrongly), or a
         * sliding window shorter than the sequence.
         */
        EXPLICIT
    }

    /**
     * Which keys each query may see.
     *
     * @param allowed (B, 1, T, S) boolean: true where query i may attend to key j
     * @param layout what {@code allowed} reduces to, for the fused kernel's choice of mask argument
     */
    record Mask(NDArray allowed, MaskLayout layout) {
        /**
         * The additive float32 mask of the eager path: 0 where allowed, the float32 minimum elsewhere.
         *
         * @return (B, 1, T, S) float32
         */
        NDArray bias() {
            return allowed.logicalNot().toType(DataType.FLOAT32, false).mul(MASKED);
        }
    }

    /**
     * The masks for {@code t} new tokens after {@code past} cached ones.
     *
     * @param cos rotary cosines, or null without rope
     * @param sin rotary sines, or null without rope
     * @param mask (B, past + T) int64: 1 for tokens, 0 for padding
     * @param past the number of cached positions
     * @param cache the cache, or null
     * @param window the sliding window of the model's sliding layers, or 0 when it has none
     * @return the context of one forward pass
     */
    static AttentionContext of(NDArray cos, NDArray sin, NDArray mask, int past, KvCache cache, int window) {
        NDManager m = mask.getManager();
        long b = mask.getShape().get(0);
        long s = mask.getShape().get(1);
        long t = s - past;
        NDArray queryPos = m.arange(past, (int) s).toDevice(mask.getDevice(), false).reshape(t, 1);
        NDArray keyPos = m.arange(0, (int) s).toDevice(mask.getDevice(), false).reshape(1, s);
        NDArray tokens = mask.eq(1);
        boolean unpadded = tokens.all().getBoolean();
        NDArray causal = keyPos.lte(queryPos).logicalAnd(tokens.reshape(b, 1, 1, s)); // (B, 1, T, S)
        Mask full = withLayout(causal, unpadded, past, t, true);
        Mask sliding = null;
        if (window > 0) {
            NDArray inWindow = keyPos.gt(queryPos.sub(window)); // (T, S)
            sliding = withLayout(causal.logicalAnd(inWindow), unpadded, past, t, s <= window);
        }
        return new AttentionContext(cos, sin, full, sliding, cache);
    }

    /**
     * The mask of one layer.
     *
     * @param window the layer's sliding window, 0 for full attention
     * @return the sliding mask for a sliding layer, the full one otherwise
     */
    Mask mask(int window) {
        return window > 0 ? sliding : full;
    }

    /**
     * {@code allowed} with every key given to a query that has none, and its layout; {@code fits} says the window
     * (if any) covers the whole sequence, so that causality alone describes the mask.
     */
    private static Mask withLayout(NDArray allowed, boolean unpadded, int past, long t, boolean fits) {
        NDArray unattended = allowed.sum(new int[] {-1}, true).eq(0); // (B, 1, T, 1)
        MaskLayout layout = MaskLayout.EXPLICIT;
        if (unpadded && fits) {
            if (past == 0) {
                layout = MaskLayout.CAUSAL;
            } else if (t == 1) {
                layout = MaskLayout.NONE;
            }
        }
        return new Mask(allowed.logicalOr(unattended), layout);
    }
}
