package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * Keys and values of the positions already processed, per layer, so a decoding step only runs the new tokens.
 * The arrays live in the cache's own manager, outside any {@link NDScope} of the caller's step, and each step's
 * concatenation replaces (and closes) the previous one.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;

    /**
     * An empty cache.
     *
     * @param parent the manager whose device the cache lives on; the arrays are owned by a sub-manager of it
     * @param numLayers the model's decoder layers, one key and one value array each
     */
    public KvCache(NDManager parent, int numLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
    }

    /**
     * The number of positions cached so far.
     *
     * @return the sequence length of the cached keys, 0 before the first step
     */
    public int length() {
        return keys[0] == null ? 0 : Math.toIntExact(keys[0].getShape().get(2));
    }

    /**
     * Appends this step's keys and values, each (B, kvHeads, T, headDim), and returns the full ones
     * (B, kvHeads, length + T, headDim).
     */
    NDArray[] append(int layer, NDArray key, NDArray value) {
        keys[layer] = keep(keys[layer], key);
        values[layer] = keep(values[layer], value);
        return new NDArray[] {keys[layer], values[layer]};
    }

    private NDArray keep(NDArray past, NDArray step) {
        NDArray full = past == null ? step : past.concat(step, 2);
        NDScope.unregister(full);
        full.attach(manager);
        if (past != null) {
            past.close();
        }
        return full;
    }

    @Override
    public void close() {
        manager.close();
    }
}
