package ai.sara4j.core.safetensors;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name tensor name as stored
 * @param dtype element type
 * @param shape dimensions (empty for a scalar)
 * @param begin byte offset of the first element, relative to the start of the data section
 * @param end byte offset one past the last element, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    /**
     * The number of elements.
     *
     * @return the product of the dimensions (1 for a scalar)
     * @throws ArithmeticException when the product overflows a long
     */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * The length of the tensor's data.
     *
     * @return {@code end - begin}, in bytes
     */
    public long byteLength() {
        return end - begin;
    }

    /**
     * The shape as an int array, for APIs that take one (DJL's {@code Shape} arithmetic, array allocation).
     *
     * @return a new array of the dimensions
     * @throws ArithmeticException when a dimension does not fit an int
     */
    public int[] intShape() {
        return Arrays.stream(shape).mapToInt(Math::toIntExact).toArray();
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }
}
