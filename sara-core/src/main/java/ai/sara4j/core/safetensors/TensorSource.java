package ai.sara4j.core.safetensors;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;

/**
 * Named tensors stored in safetensors: one file ({@link SafetensorsFile}) or a sharded checkpoint
 * ({@link Checkpoint}). Conversions widen F16/BF16 in Java, since DJL cannot hold BF16.
 */
public interface TensorSource extends Closeable {

    /**
     * Every tensor by name, in file order.
     *
     * @return the header entries, unmodifiable
     */
    Map<String, TensorInfo> tensors();

    /**
     * The file holding {@code name}, for messages.
     *
     * @param name the tensor
     * @return the {@code .safetensors} file (the shard, in a sharded checkpoint)
     * @throws SafetensorsException when there is no such tensor
     */
    Path fileOf(String name) throws SafetensorsException;

    /**
     * The raw little-endian bytes of {@code name} (a read-only memory map, not a heap copy).
     *
     * @param name the tensor
     * @return its data, in its stored {@link DType}, positioned at 0, little-endian
     * @throws SafetensorsException when there is no such tensor
     */
    ByteBuffer buffer(String name) throws SafetensorsException;

    /**
     * The raw little-endian bytes of {@code name}, read into {@code scratch} when it is large enough (a view at its
     * start, the tensor's size), otherwise {@link #buffer}. Files override this to read without a memory map, so a
     * model load touches no more of the checkpoint's pages than one tensor's worth; this default returns the map.
     *
     * @param name the tensor
     * @param scratch a direct buffer the caller reuses across tensors
     * @return its data, in its stored {@link DType}, positioned at 0, little-endian
     * @throws SafetensorsException when there is no such tensor or it cannot be read
     */
    default ByteBuffer read(String name, ByteBuffer scratch) throws SafetensorsException {
        return buffer(name);
    }

    /**
     * Whether a tensor of that name exists.
     *
     * @param name the tensor
     * @return true when {@link #tensors()} holds it
     */
    default boolean contains(String name) {
        return tensors().containsKey(name);
    }

    /**
     * The header entry of {@code name}.
     *
     * @param name the tensor
     * @return its dtype, shape and byte range
     * @throws SafetensorsException when there is no such tensor, naming it
     */
    default TensorInfo info(String name) throws SafetensorsException {
        TensorInfo info = tensors().get(name);
        if (info == null) {
            throw new SafetensorsException(this + ": missing tensor '" + name + "'");
        }
        return info;
    }

    /**
     * The values of a floating tensor converted to {@code target} (F64, F32 or F16), as a little-endian buffer.
     * When no conversion is needed this is the memory map itself; otherwise a new direct buffer, so a model can be
     * loaded without a second copy on the Java heap.
     *
     * <p>Every value is checked to be finite, in the same pass that converts it (or, without a conversion, in one
     * fast scan of the map): a NaN or an infinity in the file, or a value too large for {@code target} (above 65504
     * for F16), is an error naming the file, the tensor and the element.
     *
     * @param name the tensor
     * @param target F64, F32 or F16
     * @return the values in {@code target}'s layout
     * @throws SafetensorsException for a missing or non-floating tensor, or a non-finite value
     */
    default ByteBuffer floatBuffer(String name, DType target) throws SafetensorsException {
        return floatBuffer(name, target, null);
    }

    /**
     * As {@link #floatBuffer(String, DType)}, but working in {@code scratch} when it holds both the stored and the
     * converted tensor: the stored bytes are {@link #read} into it and converted in place (widening from the last
     * element down, narrowing from the first up, so no value is overwritten before it is read). A caller converting
     * many tensors one after another (a model load) then holds one buffer, the size of the largest tensor, and no
     * memory map; the result is a view of {@code scratch}, valid until the next call that reuses it.
     *
     * @param name the tensor
     * @param target F64, F32 or F16
     * @param scratch a direct buffer reused across calls, or null to use the memory map and a new buffer
     * @return the values in {@code target}'s layout, little-endian, positioned at 0: a view of {@code scratch}, or,
     *     when it is null or too small, the memory map (no conversion) or a new direct buffer
     * @throws SafetensorsException for a missing or non-floating tensor, or a non-finite value
     */
    default ByteBuffer floatBuffer(String name, DType target, ByteBuffer scratch) throws SafetensorsException {
        TensorInfo info = info(name);
        if (!info.dtype().isFloating()) {
            throw new SafetensorsException(fileOf(name) + ": tensor '" + name + "' is " + info.dtype()
                    + ", expected a floating-point tensor");
        }
        if (target != DType.F64 && target != DType.F32 && target != DType.F16) {
            throw new IllegalArgumentException("cannot convert to " + target);
        }
        String what = fileOf(name) + ": tensor '" + name + "'";
        long n = info.numel();
        if (n * target.byteSize() > Integer.MAX_VALUE) {
            throw new SafetensorsException(what + " converted to " + target + " would exceed 2 GiB (" + n
                    + " elements)");
        }
        int bytes = (int) (n * target.byteSize());
        boolean inPlace = scratch != null && scratch.capacity() >= Math.max(bytes, info.byteLength());
        ByteBuffer src = inPlace ? read(name, scratch) : buffer(name);
        if (info.dtype() == target) {
            FiniteValues.requireFinite(target, src, what);
            return src;
        }
        ByteBuffer dst = inPlace
                ? scratch.duplicate().clear().limit(bytes).slice().order(ByteOrder.LITTLE_ENDIAN)
                : ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        boolean widening = target.byteSize() > info.dtype().byteSize();
        long firstBad = -1;
        double badValue = 0;
        for (long k = 0; k < n; k++) {
            int i = (int) (widening ? n - 1 - k : k);
            double v = switch (info.dtype()) {
                case F64 -> src.getDouble(i * 8);
                case F32 -> src.getFloat(i * 4);
                case F16 -> HalfFloats.halfToFloat(src.getShort(i * 2));
                case BF16 -> HalfFloats.bf16ToFloat(src.getShort(i * 2));
                default -> throw new AssertionError(info.dtype());
            };
            boolean finite = switch (target) {
                case F64 -> {
                    dst.putDouble(i * 8, v);
                    yield Double.isFinite(v);
                }
                case F32 -> {
                    dst.putFloat(i * 4, (float) v);
                    yield Float.isFinite((float) v);
                }
                default -> {
                    short half = HalfFloats.floatToHalf((float) v);
                    dst.putShort(i * 2, half);
                    yield (half & 0x7c00) != 0x7c00;
                }
            };
            if (!finite && (firstBad < 0 || i < firstBad)) {
                firstBad = i;
                badValue = v;
            }
        }
        if (firstBad >= 0) {
            throw new SafetensorsException(Double.isFinite(badValue)
                    ? what + ": value " + badValue + " at element " + firstBad + " of " + n + " does not fit in "
                            + target
                    : FiniteValues.message(what, badValue, firstBad, n));
        }
        return dst;
    }

    /**
     * The values of a floating tensor as floats on the heap (for small tensors and tests), checked finite as in
     * {@link #floatBuffer}.
     *
     * @param name the tensor
     * @return its values in row-major order
     * @throws SafetensorsException for a missing or non-floating tensor, or a non-finite value
     */
    default float[] readFloats(String name) throws SafetensorsException {
        float[] out = new float[Math.toIntExact(info(name).numel())];
        floatBuffer(name, DType.F32).asFloatBuffer().get(out);
        return out;
    }

    /**
     * The values of a floating tensor as doubles on the heap, checked finite as in {@link #floatBuffer}.
     *
     * @param name the tensor
     * @return its values in row-major order, widened exactly
     * @throws SafetensorsException for a missing or non-floating tensor, or a non-finite value
     */
    default double[] readDoubles(String name) throws SafetensorsException {
        double[] out = new double[Math.toIntExact(info(name).numel())];
        floatBuffer(name, DType.F64).asDoubleBuffer().get(out);
        return out;
    }

    /**
     * The values of an integer tensor (I64, I32, I8, U8, BOOL) widened to long; U8 and BOOL are unsigned.
     *
     * @param name the tensor
     * @return its values in row-major order
     * @throws SafetensorsException for a missing tensor or one of another dtype
     */
    default long[] readLongs(String name) throws SafetensorsException {
        TensorInfo info = info(name);
        ByteBuffer src = buffer(name);
        long[] out = new long[Math.toIntExact(info.numel())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (info.dtype()) {
                case I64 -> src.getLong(i * 8);
                case I32 -> src.getInt(i * 4);
                case I8 -> src.get(i);
                case U8, BOOL -> src.get(i) & 0xff;
                default -> throw new SafetensorsException(fileOf(name) + ": tensor '" + name + "' is "
                        + info.dtype() + ", expected an integer tensor");
            };
        }
        return out;
    }
}
