package ai.sara4j.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Overwrites an array's values in place, keeping the array (and its autograd flag): loading adapter weights into
 * parameters, restoring optimizer state.
 *
 * <p>DJL's {@code NDArray.set(Buffer)} and {@code copyTo} (which calls it) go through the native {@code torchSet},
 * which opens libtorch's deprecated {@code AutoNonVariableTypeMode} guard and so prints "Warning:
 * AutoNonVariableTypeMode is deprecated and will be removed in 1.10 release" to stderr, once per process, on every
 * adapter load. This copies with {@code index_put_} over the full slice instead, with autograd's grad mode off for
 * the call (an in-place write into a leaf that requires a gradient is only allowed there), and prints nothing.
 */
public final class InPlace {
    private InPlace() {}

    /**
     * Copies {@code values} into {@code target}, element for element.
     *
     * @param target the array to overwrite
     * @param values values of the same shape, in {@code target}'s data type (moved to its device if needed)
     * @throws IllegalArgumentException when the shapes or data types differ
     */
    public static void copy(NDArray values, NDArray target) {
        if (!values.getShape().equals(target.getShape())) {
            throw new IllegalArgumentException("cannot copy values of shape " + values.getShape()
                    + " into an array of shape " + target.getShape());
        }
        if (values.getDataType() != target.getDataType()) {
            throw new IllegalArgumentException("cannot copy " + values.getDataType() + " values into a "
                    + target.getDataType() + " array");
        }
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            target.set(new NDIndex("..."), values);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }
}
