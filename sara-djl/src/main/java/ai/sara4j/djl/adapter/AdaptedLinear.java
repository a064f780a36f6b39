package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.BlockList;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The block put in place of an adapted {@link Linear}, as PEFT's {@code lora.Linear}: the original Linear as child
 * {@code base_layer} (so its weights keep their objects and the path {@code …q_proj.base_layer}), and one
 * {@link AdapterLayer} per named adapter that adapts this module, as child {@code <adapter name>}. The forward pass
 * is {@code base(x)} plus the active adapter's path, or base alone when the active adapter does not adapt this
 * module, is merged, or adapters are disabled; under {@link AdaptedModel#perRowAdapters} each row gets its own
 * adapter's path. The method math stays in the adapter layers.
 *
 * <p>Every forward pass sets a "reached" mark, which {@link AdaptedModel#requireAllReached()} checks.
 */
public final class AdaptedLinear extends AbstractBlock {
    /** The child name of the original Linear, as in PEFT. */
    public static final String BASE_LAYER = "base_layer";

    private final String module;
    private final Linear base;
    private final Map<String, AdapterLayer> adapters = new LinkedHashMap<>();
    private AdapterLayer active;
    private boolean disabled;
    private RowRouting rows;
    private boolean reached;

    AdaptedLinear(String module, Linear base) {
        this.module = module;
        this.base = addChildBlock(BASE_LAYER, base);
    }

    /**
     * The module path this block stands at.
     *
     * @return the dotted path
     */
    public String module() {
        return module;
    }

    /**
     * The original Linear.
     *
     * @return the base layer
     */
    public Linear base() {
        return base;
    }

    /**
     * The adapters on this module by adapter name, in the order they were added.
     *
     * @return an unmodifiable view
     */
    public Map<String, AdapterLayer> adapters() {
        return Collections.unmodifiableMap(adapters);
    }

    void add(String name, AdapterLayer layer) {
        adapters.put(name, layer);
        addChildBlock(name, layer);
    }

    void remove(String name) {
        AdapterLayer layer = adapters.remove(name);
        if (layer == active) {
            active = null;
        }
        // DJL keys children by position ("02default"): renumber the rest
        children = new BlockList();
        addChildBlock(BASE_LAYER, base);
        adapters.forEach(this::addChildBlock);
    }

    /** Makes {@code name}'s layer the one the forward pass adds (none when {@code name} does not adapt this module). */
    void activate(String name) {
        active = adapters.get(name);
    }

    void setDisabled(boolean value) {
        disabled = value;
    }

    void setRows(RowRouting value) {
        rows = value;
    }

    boolean reached() {
        return reached;
    }

    void clearReached() {
        reached = false;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        reached = true;
        NDList out = base.forward(store, inputs, training, params);
        if (rows != null) {
            return new NDList(perRow(store, inputs.singletonOrThrow(), out.singletonOrThrow(), training));
        }
        AdapterLayer layer = disabled ? null : active;
        if (layer == null) {
            return out;
        }
        return new NDList(layer.addTo(store, inputs.singletonOrThrow(), out.singletonOrThrow(), training));
    }

    /**
     * PEFT's {@code _mixed_batch_forward}: base(x) once for the whole batch, then each group of rows gets its
     * adapter's path on its rows only (none for base rows or an adapter that does not adapt this module); the
     * groups are put back in row order.
     */
    private NDArray perRow(ParameterStore store, NDArray x, NDArray y, boolean training) {
        if (training) {
            throw new IllegalStateException("module '" + module + "': per-row adapters are for inference only; close "
                    + "the perRowAdapters scope before training");
        }
        if (x.getShape().get(0) != rows.batch()) {
            throw new IllegalArgumentException("module '" + module + "': the batch has " + x.getShape().get(0)
                    + " rows but perRowAdapters named an adapter for " + rows.batch());
        }
        NDList parts = new NDList(rows.groups());
        for (int g = 0; g < rows.groups(); g++) {
            NDIndex index = new NDIndex("{}", rows.rows(g));
            NDArray part = y.get(index);
            AdapterLayer layer = rows.adapter(g) == null ? null : adapters.get(rows.adapter(g));
            parts.add(layer == null ? part : layer.addTo(store, x.get(index), part, false));
        }
        return NDArrays.concat(parts, 0).get(new NDIndex("{}", rows.inverse()));
    }

    /**
     * Whether the block has been through {@code initialize} (the first training forward pass does it). Its
     * parameters always have values (the base's are required by the adapters, theirs are given at creation), so
     * this skips DJL's default walk over every parameter below the block, which a training forward pass would
     * otherwise repeat on every call.
     *
     * @return true once input shapes are known
     */
    @Override
    public boolean isInitialized() {
        return inputShapes != null;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return base.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // the base weight exists (an adapter needs it) and adapter tensors have values
    }
}
