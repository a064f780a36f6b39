package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Layer norm over the last axis with parameters named as in PyTorch ({@code weight}, {@code bias}). */
public final class LayerNorm extends AbstractBlock {
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * A norm over the last axis; {@code weight} and {@code bias} have shape (hidden) and come from the checkpoint.
     *
     * @param eps added to the variance ({@code layer_norm_epsilon})
     */
    public LayerNorm(double eps) {
        this.eps = (float) eps;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
        this.bias = addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BETA).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // (..., hidden)
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray b = ps.getValue(bias, x.getDevice(), training);
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, w.getShape(), w, b, eps);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
