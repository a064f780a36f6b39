package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.safetensors.TensorSource;
import ai.sara4j.djl.engine.InPlace;
import java.io.IOException;

/** Copies a named safetensors tensor into a parameter of the same shape, converting the dtype. */
final class TensorLoader {
    private TensorLoader() {}

    static void fill(TensorSource source, String name, Parameter target) throws IOException {
        if (!source.contains(name)) {
            throw new IOException(source + ": missing tensor '" + name + "'");
        }
        TensorInfo info = source.info(name);
        NDArray array = target.getArray();
        Shape expected = array.getShape();
        if (!expected.equals(new Shape(info.shape()))) {
            throw new IOException(source.fileOf(name) + ": tensor '" + name + "' has shape "
                    + new Shape(info.shape()) + ", the model needs " + expected);
        }
        DataType type = array.getDataType();
        DType fileType = switch (type) {
            case FLOAT64 -> DType.F64;
            case FLOAT32 -> DType.F32;
            case FLOAT16 -> DType.F16;
            default -> throw new IOException(source.fileOf(name) + ": tensor '" + name + "' cannot be loaded into a "
                    + type + " parameter");
        };
        // created from the (possibly memory-mapped) buffer, then copied natively: NDArray.set(Buffer) would print
        // libtorch's AutoNonVariableTypeMode warning (engine.InPlace)
        try (NDArray values = array.getManager().create(source.floatBuffer(name, fileType), expected, type)) {
            InPlace.copy(values, array);
        }
    }
}
