package ai.sara4j.core.safetensors;

import java.util.Locale;

/** Element types of the safetensors format that SARA4J reads and writes. */
public enum DType {
    /** IEEE 754 binary64 (PyTorch {@code float64}). */
    F64(8),
    /** IEEE 754 binary32 (PyTorch {@code float32}). */
    F32(4),
    /** IEEE 754 binary16 (PyTorch {@code float16}); see {@link HalfFloats}. */
    F16(2),
    /** bfloat16, the top 16 bits of a float32 (PyTorch {@code bfloat16}); see {@link HalfFloats}. */
    BF16(2),
    /** Signed 64-bit integer (PyTorch {@code int64}). */
    I64(8),
    /** Signed 32-bit integer (PyTorch {@code int32}). */
    I32(4),
    /** Signed 8-bit integer (PyTorch {@code int8}). */
    I8(1),
    /** Unsigned 8-bit integer (PyTorch {@code uint8}). */
    U8(1),
    /** Boolean, one byte per element (PyTorch {@code bool}). */
    BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * The storage size of one element.
     *
     * @return bytes per element
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Whether the type holds floating-point values.
     *
     * @return true for F64, F32, F16 and BF16
     */
    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * Parses a safetensors dtype string.
     *
     * @param name the header's {@code dtype}, e.g. {@code "F32"} (case ignored)
     * @return the type
     * @throws IllegalArgumentException for a dtype this library does not support
     */
    public static DType parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unsupported safetensors dtype '" + name + "'");
        }
    }
}
