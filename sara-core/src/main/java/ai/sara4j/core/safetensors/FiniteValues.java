package ai.sara4j.core.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;

/**
 * Finds NaN and infinite values in the raw little-endian bytes of a floating tensor, fast enough to run on every
 * tensor SARA4J reads or writes (a 7B checkpoint is 13 GB).
 *
 * <p>A float is non-finite exactly when its exponent bits are all ones. The scan reads eight bytes at a time and,
 * per lane of the element width, adds one to the exponent field after masking: only an all-ones exponent carries
 * into the lane's sign bit. The lanes are OR-ed together without a branch, over 64 KiB chunks bulk-copied into a
 * reused array (which the JIT vectorizes), so the scan runs near memory speed without a copy of the tensor; the
 * first offending element is searched for only once the scan has found one.
 */
public final class FiniteValues {
    private FiniteValues() {}

    /** Per dtype: the exponent mask in every lane, one unit of the exponent in every lane, the lanes' sign bits. */
    private record Lanes(long exponent, long unit, long signs) {}

    private static final Lanes F64 = new Lanes(0x7ff0000000000000L, 0x0010000000000000L, 0x8000000000000000L);
    private static final Lanes F32 = new Lanes(0x7f8000007f800000L, 0x0080000000800000L, 0x8000000080000000L);
    private static final Lanes F16 = new Lanes(0x7c007c007c007c00L, 0x0400040004000400L, 0x8000800080008000L);
    /** Longs scanned per bulk copy: 64 KiB, small enough to stay in the CPU cache. */
    private static final int CHUNK = 8192;

    private static final Lanes BF16 = new Lanes(0x7f807f807f807f80L, 0x0080008000800080L, 0x8000800080008000L);

    /**
     * The index of the first NaN or infinite element of {@code data}, or -1 when every element is finite.
     *
     * @param dtype the element type; integer types hold no non-finite values and give -1
     * @param data the tensor's little-endian bytes, from index 0 to the buffer's limit (its position is ignored)
     * @return the element index, or -1
     */
    public static long firstNonFinite(DType dtype, ByteBuffer data) {
        Lanes lanes = lanes(dtype);
        if (lanes == null) {
            return -1;
        }
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int bytes = b.limit();
        int whole = bytes & ~7;
        long exponent = lanes.exponent();
        long unit = lanes.unit();
        long seen = 0;
        // bulk copies of a cache-sized chunk into a long[], whose OR-reduction the JIT vectorizes
        LongBuffer longs = b.position(0).limit(whole).slice().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        long[] chunk = new long[Math.min(CHUNK, longs.remaining())];
        while (longs.hasRemaining()) {
            int n = Math.min(chunk.length, longs.remaining());
            longs.get(chunk, 0, n);
            for (int i = 0; i < n; i++) {
                seen |= (chunk[i] & exponent) + unit;
            }
        }
        b.limit(bytes);
        long tail = 0; // the last bytes, zero-padded to a long (zeros are finite)
        for (int i = whole; i < bytes; i++) {
            tail |= (b.get(i) & 0xffL) << (8 * (i - whole));
        }
        seen |= (tail & exponent) + unit;
        if ((seen & lanes.signs()) == 0) {
            return -1;
        }
        long n = bytes / dtype.byteSize();
        for (long i = 0; i < n; i++) {
            if (!Double.isFinite(value(dtype, b, i))) {
                return i;
            }
        }
        throw new AssertionError("the scan found a non-finite value that the element search did not");
    }

    /**
     * Throws when {@code data} holds a NaN or an infinity.
     *
     * @param dtype the element type (integer types always pass)
     * @param data the tensor's little-endian bytes (see {@link #firstNonFinite})
     * @param what the file and tensor, for the message, e.g. {@code "out.safetensors: tensor 'w'"}
     * @throws SafetensorsException naming {@code what}, the value and its element index
     */
    public static void requireFinite(DType dtype, ByteBuffer data, String what) throws SafetensorsException {
        long index = firstNonFinite(dtype, data);
        if (index >= 0) {
            throw new SafetensorsException(message(what, value(dtype, data.duplicate().order(ByteOrder.LITTLE_ENDIAN),
                    index), index, data.limit() / dtype.byteSize()));
        }
    }

    /**
     * The message for a non-finite element: {@code what: non-finite value NaN at element i of n}.
     *
     * @param what the file and tensor
     * @param value the offending value
     * @param index its element index
     * @param count the tensor's element count
     * @return the message
     */
    public static String message(String what, double value, long index, long count) {
        return what + ": non-finite value " + value + " at element " + index + " of " + count;
    }

    private static Lanes lanes(DType dtype) {
        return switch (dtype) {
            case F64 -> F64;
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            default -> null;
        };
    }

    /** Element {@code index} of little-endian {@code b} as a double. */
    static double value(DType dtype, ByteBuffer b, long index) {
        int at = Math.toIntExact(index * dtype.byteSize());
        return switch (dtype) {
            case F64 -> b.getDouble(at);
            case F32 -> b.getFloat(at);
            case F16 -> HalfFloats.halfToFloat(b.getShort(at));
            case BF16 -> HalfFloats.bf16ToFloat(b.getShort(at));
            default -> throw new IllegalArgumentException(dtype + " is not a floating-point type");
        };
    }
}
