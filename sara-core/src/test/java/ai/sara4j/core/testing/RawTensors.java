package ai.sara4j.core.testing;

import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.HalfFloats;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.TensorInfo;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Overwrites one element of a tensor in a safetensors file in place, bypassing the writer (which refuses NaN and
 * infinities), to make broken files for tests.
 */
public final class RawTensors {
    private RawTensors() {}

    /**
     * Sets element {@code index} of {@code tensor} in {@code file} to {@code value}, encoded in the tensor's dtype.
     *
     * @param file a safetensors file
     * @param tensor the tensor's name
     * @param index the element
     * @param value the value, e.g. {@code Float.NaN}
     * @throws IOException when the file cannot be read or written
     */
    public static void set(Path file, String tensor, long index, float value) throws IOException {
        TensorInfo info;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            info = f.info(tensor);
        }
        DType dtype = info.dtype();
        ByteBuffer bytes = ByteBuffer.allocate(dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F64 -> bytes.putDouble(value);
            case F32 -> bytes.putFloat(value);
            case F16 -> bytes.putShort(HalfFloats.floatToHalf(value));
            case BF16 -> bytes.putShort(HalfFloats.floatToBf16(value));
            default -> throw new IllegalArgumentException(tensor + " is " + dtype);
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            raf.readFully(len.array());
            raf.seek(8 + len.getLong(0) + info.begin() + index * dtype.byteSize());
            raf.write(bytes.array());
        }
    }
}
