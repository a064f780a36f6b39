package ai.sara4j.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Constants for arithmetic on the training path, as 0-d tensors whose memory libtorch owns.
 *
 * <p>DJL's {@code mul(Number)}, {@code div(Number)}, {@code pow(Number)}, {@code maximum(Number)} wrap the number in
 * a tensor over a Java direct buffer and close that tensor right after the operation. Autograd keeps it for the
 * backward pass (∂(x·c)/∂x = c), and once the JVM has freed the buffer, backward reads freed memory: gradients that
 * differ from run to run, now and then NaN, rarely a crash. Operations whose backward does not need the constant
 * ({@code add}, {@code sub}) and updates outside autograd are not affected.
 */
public final class Scalars {
    private Scalars() {}

    /**
     * A constant for arithmetic with {@code x} on the training path, e.g. {@code x.mul(Scalars.like(x, scale))}.
     *
     * @param x the tensor the constant will be combined with
     * @param value the constant, rounded to {@code x}'s dtype
     * @return a 0-d tensor of {@code x}'s dtype on its device, attached to its manager, in libtorch-owned memory
     */
    public static NDArray like(NDArray x, double value) {
        try (NDArray wrapped = x.getManager().create(value)) { // float64 over a Java buffer
            // a copy in libtorch's memory: clone for float64, else the conversion itself copies
            return x.getDataType() == DataType.FLOAT64 ? wrapped.duplicate() : wrapped.toType(x.getDataType(), false);
        }
    }
}
