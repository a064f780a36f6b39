package ai.sara4j.djl.adapter.mosara;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.AdapterLayer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records the routers' gates of a Mo-SARA adapter, for the SARA paper's routing maps (§5.8, Figure 7, Appendix D):
 * while attached, every forward pass through a Mo-SARA module adds its gate g = softmax(z·w1·w2) (…, m), summed over
 * the tokens, to that module's total; {@link #statistics()} divides by the number of tokens, giving the gate averaged
 * over batch and length for each module and head.
 *
 * <pre>{@code
 * try (GateRecorder gates = GateRecorder.attach(adapted)) {
 *     lm.logits(prompt);                       // any forward pass: one prompt, a batch, a generation
 *     GateStatistics stats = gates.statistics();
 * }
 * }</pre>
 *
 * <p>Padding: by default every token of the gate counts. Before a padded batch, {@link #tokenMask} names the real
 * tokens (1) and the padding (0); its shape must then be the gate's leading dimensions (batch, length) in every pass
 * until it is changed. The sums stay on the model's device (one in-place addition per module and pass, no copy to the
 * host) until {@link #statistics()} reads them; the recorder's arrays live on their own sub-managers, out of any
 * {@link NDScope}, and are freed by {@link #close()}, which also detaches the recorder. Without a recorder attached
 * the layers only test a null field. The gate is recorded as the layer computes it: after dropout in a training
 * pass, and twice per layer when gradient checkpointing recomputes it; record inference passes for the paper's
 * maps. Not thread-safe.
 */
public final class GateRecorder implements AutoCloseable {
    /** One module's running totals. */
    private static final class Slot {
        final String module;
        final NDManager manager;
        NDArray sum;
        long tokens;

        Slot(String module, NDManager manager) {
            this.module = module;
            this.manager = manager;
        }
    }

    private final Map<MoSaraLayer, Slot> slots = new LinkedHashMap<>();
    /** One sub-manager per device the modules live on. */
    private final Map<Device, NDManager> managers = new LinkedHashMap<>();
    private final int heads;
    /** The token mask as given (0/1 values, row-major) and its shape; null: every token counts. */
    private float[] mask;
    private long[] maskShape;
    private long maskTokens;
    /** The mask as (…, 1) arrays, one per device and dtype the gates came in. */
    private final Map<String, NDArray> maskArrays = new HashMap<>();
    private boolean closed;

    private GateRecorder(AdaptedModel adapted) {
        int m = 0;
        for (Map.Entry<String, AdapterLayer> e : adapted.layers().entrySet()) {
            MoSaraLayer layer = (MoSaraLayer) e.getValue();
            NDArray weight = layer.baseWeight().getArray();
            NDManager manager = managers.computeIfAbsent(weight.getDevice(), d -> weight.getManager().newSubManager());
            slots.put(layer, new Slot(e.getKey(), manager));
            m = layer.heads();
        }
        heads = m;
    }

    /**
     * Starts recording the gates of {@code adapted}'s active adapter.
     *
     * @param adapted a model whose active adapter is Mo-SARA
     * @return the recorder, attached until closed
     * @throws IllegalArgumentException when the active adapter is not Mo-SARA (only Mo-SARA has a router)
     * @throws IllegalStateException when another recorder is attached to the adapter
     */
    public static GateRecorder attach(AdaptedModel adapted) {
        String method = adapted.config().method();
        if (!MoSaraConfig.METHOD.equals(method)) {
            throw new IllegalArgumentException("adapter '" + adapted.activeAdapter() + "' is " + method + ", not "
                    + MoSaraConfig.METHOD + ": only Mo-SARA has a router whose gates can be recorded");
        }
        GateRecorder recorder = new GateRecorder(adapted);
        for (Map.Entry<MoSaraLayer, Slot> e : recorder.slots.entrySet()) {
            if (e.getKey().recorder() != null) {
                recorder.close();
                throw new IllegalStateException("module '" + e.getValue().module + "' already has a GateRecorder "
                        + "attached; close that one first");
            }
        }
        recorder.slots.keySet().forEach(l -> l.setRecorder(recorder));
        return recorder;
    }

    /**
     * Says which tokens of the following forward passes are real (1) and which are padding (0), for example the
     * attention mask of a padded batch; null makes every token count again.
     *
     * @param tokenMask (batch, length) of zeros and ones, any numeric dtype and device, or null; read once here
     * @throws IllegalArgumentException for a value other than 0 or 1
     * @throws IllegalStateException after {@link #close()}
     */
    public void tokenMask(NDArray tokenMask) {
        requireOpen();
        clearMaskArrays();
        if (tokenMask == null) {
            mask = null;
            maskShape = null;
            return;
        }
        float[] values;
        try (NDArray f = tokenMask.toType(DataType.FLOAT32, true)) {
            values = f.toFloatArray();
        }
        long count = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i] != 0 && values[i] != 1) {
                throw new IllegalArgumentException("token mask: element " + i + " is " + values[i]
                        + "; use 1 for tokens and 0 for padding");
            }
            count += (long) values[i];
        }
        mask = values;
        maskShape = tokenMask.getShape().getShape();
        maskTokens = count;
    }

    /**
     * The gates recorded since {@link #attach} or {@link #reset()}, averaged per module over the tokens.
     *
     * @return the mean gate per module and head (modules no pass reached are left out)
     * @throws IllegalStateException when nothing was recorded (no forward pass reached a Mo-SARA module, or every
     *     token was padding), or after {@link #close()}
     */
    public GateStatistics statistics() {
        requireOpen();
        Map<String, double[]> means = new LinkedHashMap<>();
        Map<String, Long> tokens = new LinkedHashMap<>();
        for (Slot slot : slots.values()) {
            if (slot.tokens == 0) {
                continue;
            }
            double[] sums;
            try (NDArray wide = slot.sum.toType(DataType.FLOAT64, true)) {
                sums = wide.toDoubleArray();
            }
            for (int h = 0; h < sums.length; h++) {
                sums[h] /= slot.tokens;
            }
            means.put(slot.module, sums);
            tokens.put(slot.module, slot.tokens);
        }
        if (means.isEmpty()) {
            throw new IllegalStateException("no gates recorded: no forward pass reached a Mo-SARA module since the "
                    + "recorder was attached or reset (or every token was padding)");
        }
        return new GateStatistics(heads, means, tokens);
    }

    /**
     * Forgets what was recorded (the token mask is kept), e.g. between the test sets of a routing map.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public void reset() {
        requireOpen();
        for (Slot slot : slots.values()) {
            if (slot.sum != null) {
                slot.sum.close();
                slot.sum = null;
            }
            slot.tokens = 0;
        }
    }

    /** Detaches the recorder from the layers and frees its arrays; calling it again does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        slots.keySet().forEach(l -> {
            if (l.recorder() == this) {
                l.setRecorder(null);
            }
        });
        managers.values().forEach(NDManager::close);
    }

    /** Adds a gate (…, m) the layer just computed to its module's total. */
    void record(MoSaraLayer layer, NDArray gate) {
        Slot slot = slots.get(layer);
        long[] shape = gate.getShape().getShape();
        long m = shape[shape.length - 1];
        NDArray partial;
        long count;
        try (NDArray g = gate.stopGradient()) {
            if (mask == null) {
                try (NDArray flat = g.reshape(-1, m)) {
                    partial = flat.sum(new int[] {0});
                }
                count = g.size() / m;
            } else {
                long[] leading = Arrays.copyOf(shape, shape.length - 1);
                if (!Arrays.equals(leading, maskShape)) {
                    throw new IllegalArgumentException("module '" + slot.module + "': the gate's tokens have shape "
                            + new Shape(leading) + " but the token mask has " + new Shape(maskShape)
                            + "; set a mask of the batch's shape, or tokenMask(null)");
                }
                try (NDArray weighted = g.mul(maskArray(g, slot.manager)); NDArray flat = weighted.reshape(-1, m)) {
                    partial = flat.sum(new int[] {0});
                }
                count = maskTokens;
            }
        }
        if (slot.sum == null) {
            keep(partial, slot.manager);
            slot.sum = partial;
        } else {
            try (partial) {
                slot.sum.addi(partial);
            }
        }
        slot.tokens += count;
    }

    /** The mask shaped (…, 1) on the gate's device and in its dtype, made once per device and dtype. */
    private NDArray maskArray(NDArray gate, NDManager manager) {
        String key = gate.getDevice() + "/" + gate.getDataType();
        NDArray cached = maskArrays.get(key);
        if (cached == null) {
            long[] shape = Arrays.copyOf(maskShape, maskShape.length + 1);
            shape[maskShape.length] = 1;
            try (NDArray f = manager.create(mask, new Shape(shape))) {
                cached = f.toType(gate.getDataType(), true);
            }
            keep(cached, manager);
            maskArrays.put(key, cached);
        }
        return cached;
    }

    /** Takes {@code array} out of any open {@link NDScope} and gives it to {@code manager}. */
    private static void keep(NDArray array, NDManager manager) {
        NDScope.unregister(array);
        array.attach(manager);
    }

    private void clearMaskArrays() {
        maskArrays.values().forEach(NDArray::close);
        maskArrays.clear();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this GateRecorder is closed");
        }
    }
}
