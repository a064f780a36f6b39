package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.engine.DifferentiableCast;
import ai.sara4j.djl.engine.Scalars;

/** LLaMA's RMSNorm: {@code weight · x / sqrt(mean(x²) + eps)}, computed in float32 like transformers. */
public final class RmsNorm extends AbstractBlock {
    private final float eps;
    private final Parameter weight;

    /**
     * A norm over the last axis; {@code weight} has shape (hidden) and comes from the checkpoint.
     *
     * @param eps added to the mean square ({@code rms_norm_eps}), applied in float32
     */
    public RmsNorm(double eps) {
        this.eps = (float) eps;
        this.weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.GAMMA).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // (..., hidden)
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray x32 = DifferentiableCast.to(x, DataType.FLOAT32);
        NDArray normed = x32.mul(x32.square().mean(new int[] {-1}, true).add(eps).pow(Scalars.like(x32, -0.5)));
        // input first: DJL attaches a result to its first operand's manager: the caller's, not the weights'
        return new NDList(DifferentiableCast.to(normed, x.getDataType()).mul(w));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
