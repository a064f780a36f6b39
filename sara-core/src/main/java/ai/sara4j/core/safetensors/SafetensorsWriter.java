package ai.sara4j.core.safetensors;

import ai.sara4j.core.io.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Collects named tensors and writes them as one safetensors file: header padded with spaces to a multiple of 8
 * bytes, an optional {@code __metadata__}, tensors in the order added, written to a temporary file then renamed.
 *
 * <p>A floating tensor holding a NaN or an infinity is never written: {@link #write} fails naming the file, the
 * tensor and the element, and leaves no file behind (a previous file at the target stays as it was). Adapters,
 * merged checkpoints, exports and optimizer state all pass through here, so none of them is saved broken.
 */
public final class SafetensorsWriter {
    private record Entry(DType dtype, long[] shape, ByteBuffer data) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** An empty writer: no tensors, no metadata. */
    public SafetensorsWriter() {}

    /**
     * Adds a {@code __metadata__} string entry (PEFT writes {@code {"format": "pt"}}); a key given twice keeps the
     * last value.
     *
     * @param key the metadata key
     * @param value its value
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor from raw little-endian bytes. The bytes between {@code data}'s start and limit are kept by
     * reference (not copied) until {@link #write}; do not change them meanwhile.
     *
     * @param name the tensor name, unique in the file
     * @param dtype the stored element type
     * @param shape the dimensions, row-major (empty for a scalar); copied
     * @param data exactly shape × dtype-size bytes from position 0 to the limit
     * @return this writer
     * @throws IllegalArgumentException for the reserved name {@code __metadata__}, a name added twice, a negative
     *     dimension, or a byte count that does not match shape × dtype
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, ByteBuffer data) {
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
        }
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        long numel = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in "
                        + Arrays.toString(shape));
            }
            numel = Math.multiplyExact(numel, d);
        }
        ByteBuffer copy = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        copy.rewind();
        if (copy.remaining() != numel * dtype.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "': " + copy.remaining() + " bytes given, shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + numel * dtype.byteSize());
        }
        entries.put(name, new Entry(dtype, shape.clone(), copy));
        return this;
    }

    /**
     * Adds an F32 tensor (copied).
     *
     * @param name the tensor name, unique in the file
     * @param shape the dimensions, row-major; their product must equal {@code values.length}
     * @param values the values in row-major order
     * @return this writer
     * @throws IllegalArgumentException as {@link #add} does
     */
    public SafetensorsWriter addFloats(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return add(name, DType.F32, shape, b);
    }

    /**
     * Adds an F64 tensor (copied).
     *
     * @param name the tensor name, unique in the file
     * @param shape the dimensions, row-major; their product must equal {@code values.length}
     * @param values the values in row-major order
     * @return this writer
     * @throws IllegalArgumentException as {@link #add} does
     */
    public SafetensorsWriter addDoubles(String name, long[] shape, double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        return add(name, DType.F64, shape, b);
    }

    /**
     * Adds an I64 tensor (copied), e.g. a step counter.
     *
     * @param name the tensor name, unique in the file
     * @param shape the dimensions, row-major; their product must equal {@code values.length}
     * @param values the values in row-major order
     * @return this writer
     * @throws IllegalArgumentException as {@link #add} does
     */
    public SafetensorsWriter addLongs(String name, long[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return add(name, DType.I64, shape, b);
    }

    /**
     * Writes the file atomically (temporary sibling, then rename). Each floating tensor is checked for NaN and
     * infinite values as it is written (one pass over its bytes, no copy).
     *
     * @param target the file to write
     * @throws SafetensorsException when a tensor holds a non-finite value, naming {@code target}, the tensor and the
     *     element; nothing is written then
     * @throws IOException when the file cannot be written
     */
    public void write(Path target) throws IOException {
        byte[] header = header();
        AtomicFiles.write(target, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            out.write(len.array());
            out.write(header);
            WritableByteChannel ch = Channels.newChannel(out);
            for (Map.Entry<String, Entry> named : entries.entrySet()) {
                Entry e = named.getValue();
                FiniteValues.requireFinite(e.dtype(), e.data(),
                        "refusing to write " + target + ": tensor '" + named.getKey() + "'");
                ByteBuffer d = e.data().duplicate();
                d.rewind();
                while (d.hasRemaining()) {
                    ch.write(d);
                }
            }
        });
    }

    private byte[] header() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long len = e.getValue().data().remaining();
            t.putArray("data_offsets").add(offset).add(offset + len);
            offset += len;
        }
        byte[] raw = json.writeValueAsBytes(root);
        int padded = (raw.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(raw, padded);
        Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }
}
