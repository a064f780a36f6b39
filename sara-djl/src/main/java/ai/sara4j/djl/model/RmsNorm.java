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

/**
 * RMSNorm: {@code x / sqrt(mean(x²) + eps)} in float32, scaled by the weight as the family does ({@link Scale}).
 */
public final class RmsNorm extends AbstractBlock {
    /** How the normalised float32 values meet the weight; the three differ only in rounding and Gemma's 1 +. */
    public enum Scale {
        /** LLaMA: cast to the input's dtype, then times {@code weight}. */
        CAST_THEN_WEIGHT,
        /** OLMo 2: times {@code weight} in float32, then cast. */
        WEIGHT_IN_FLOAT32,
        /** Gemma: times {@code (1 + weight)} in float32, then cast (the checkpoint stores w, the scale is 1 + w). */
        ONE_PLUS_WEIGHT_IN_FLOAT32
    }

    private final float eps;
    private final Scale scale;
    private final Parameter weight;

    /**
     * LLaMA's norm over the last axis; {@code weight} has shape (hidden) and comes from the checkpoint.
     *
     * @param eps added to the mean square ({@code rms_norm_eps}), applied in float32
     */
    public RmsNorm(double eps) {
        this(eps, Scale.CAST_THEN_WEIGHT);
    }

    /**
     * A norm over the last axis; {@code weight} has the last axis' size and comes from the checkpoint.
     *
     * @param eps added to the mean square ({@code rms_norm_eps}), applied in float32
     * @param scale how the weight scales the normalised values
     */
    public RmsNorm(double eps, Scale scale) {
        this.eps = (float) eps;
        this.scale = scale;
        // Gemma's w is an offset: typed BETA so that random-weight models (ModelLoader.random) start it at 0, scale 1
        this.weight = addParameter(Parameter.builder().setName("weight").setType(
                scale == Scale.ONE_PLUS_WEIGHT_IN_FLOAT32 ? Parameter.Type.BETA : Parameter.Type.GAMMA).build());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // (..., hidden)
        NDArray w = ps.getValue(weight, x.getDevice(), training);
        NDArray x32 = DifferentiableCast.to(x, DataType.FLOAT32);
        NDArray normed = x32.mul(x32.square().mean(new int[] {-1}, true).add(eps).pow(Scalars.like(x32, -0.5)));
        // input first: DJL attaches a result to its first operand's manager: the caller's, not the weights'
        return new NDList(switch (scale) {
            case CAST_THEN_WEIGHT -> DifferentiableCast.to(normed, x.getDataType()).mul(w);
            case WEIGHT_IN_FLOAT32 -> DifferentiableCast.to(normed.mul(DifferentiableCast.to(w, DataType.FLOAT32)),
                    x.getDataType());
            case ONE_PLUS_WEIGHT_IN_FLOAT32 -> DifferentiableCast.to(
                    normed.mul(DifferentiableCast.to(w, DataType.FLOAT32).add(1)), x.getDataType());
        });
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
