package ai.sara4j.djl.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A node of the module tree that only holds named children, like {@code nn.ModuleList} or the {@code model} /
 * {@code transformer} submodule of a Hugging Face causal LM. {@link CausalLM} drives the children itself.
 */
public final class Container extends AbstractBlock {
    /** An empty container; {@link #add} gives it its children. */
    public Container() {}

    /**
     * Adds a child under a module path segment, e.g. {@code layers} or {@code 0}.
     *
     * @param <B> the child's type
     * @param name the path segment, as in the Hugging Face module tree
     * @param child the block to add
     * @return {@code child}, for chaining
     */
    public <B extends Block> B add(String name, B child) {
        return addChildBlock(name, child);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        throw new UnsupportedOperationException("a Container is not called on its own; CausalLM runs its children");
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        initializeAll(this, manager, dataType, inputShapes);
    }

    /**
     * Initializes every child of {@code parent} with the parent's own input shapes: for blocks whose children all
     * read the same input (the residual stream, or for layer lists each layer's input).
     */
    static void initializeAll(Block parent, NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block child : parent.getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException("a Container has no output of its own");
    }
}
