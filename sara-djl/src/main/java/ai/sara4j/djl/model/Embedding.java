package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** A lookup table like {@code torch.nn.Embedding}: ids (B, T) → rows of {@code weight} (num, dim) as (B, T, dim). */
public final class Embedding extends AbstractBlock {
    private final Parameter weight;

    /** An embedding whose {@code weight} (num, dim) gets its shape and values from the loaded checkpoint. */
    public Embedding() {
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray ids = inputs.singletonOrThrow();
        NDArray table = ps.getValue(weight, ids.getDevice(), training);
        // torch's embedding (index_select): one op, where an NDIndex get is a slower advanced-indexing op. The
        // result belongs to the ids' manager (the caller's, per batch), not the table's.
        return ids.getNDArrayInternal().embedding(ids, table, SparseFormat.DENSE);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape table = weight.getArray().getShape();
        return new Shape[] {inputShapes[0].add(table.get(1))};
    }
}
