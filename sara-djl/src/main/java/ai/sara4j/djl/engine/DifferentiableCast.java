package ai.sara4j.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;

/**
 * A dtype conversion that gradients flow through. DJL's {@code toType} runs libtorch's {@code to} without autograd,
 * so on the training path it cuts the graph: with an FP16 base and FP32 adapters, nothing before the first cast would
 * get a gradient. While gradients are being recorded, the conversion runs as a one-line TorchScript module
 * ({@code x.half()}, {@code x.float()}, {@code x.double()}), which autograd sees; otherwise it is DJL's {@code toType}.
 */
public final class DifferentiableCast {
    private static final Map<DataType, String> METHODS = Map.of(
            DataType.FLOAT16, "half", DataType.FLOAT32, "float", DataType.FLOAT64, "double");

    private DifferentiableCast() {}

    /**
     * {@code x} converted to {@code type}, recorded by autograd while gradients are being recorded.
     *
     * @param x the tensor to convert
     * @param type {@link DataType#FLOAT16}, {@link DataType#FLOAT32} or {@link DataType#FLOAT64}
     * @return {@code x} itself when it already has {@code type}, otherwise a new tensor of {@code x}'s shape in
     *     {@code type}, attached to {@code x}'s manager
     * @throws IllegalArgumentException for any other target type while gradients are being recorded
     */
    public static NDArray to(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        if (!JniUtils.isGradMode()) {
            return x.toType(type, false);
        }
        return module(type).forwardRecorded(x);
    }

    private static TorchScriptModule module(DataType type) {
        String method = METHODS.get(type);
        if (method == null) {
            throw new IllegalArgumentException("no differentiable cast to " + type + "; float16, float32, float64 only");
        }
        String name = "Cast" + type.name();
        return TorchScriptModule.shared(name, "  def forward(self: __torch__." + name + ", x: Tensor) -> Tensor:\n"
                + "    return x." + method + "()\n");
    }
}
