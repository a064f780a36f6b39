package ai.sara4j.core.safetensors;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, read through memory maps so tensors are never copied onto the Java heap unless asked.
 *
 * <p>The header is validated when the file is opened: its length, its JSON, each dtype, that shape × dtype size
 * equals the byte span, and that spans lie inside the file without overlapping. Every violation is a
 * {@link SafetensorsException} naming the file and the tensor. Files over 2 GiB are fine; a single tensor is
 * mapped on its own and must be under 2 GiB.
 */
public final class SafetensorsFile implements TensorSource {
    /** Headers larger than this are refused as corrupt (the format's own reference limit). */
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    /** Duplicate keys are refused: with them a tensor would silently vanish from the header. */
    private static final ObjectMapper JSON =
            JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and validates {@code path}: reads and checks the header; tensor data is mapped only when asked for.
     *
     * @param path a {@code .safetensors} file
     * @return the open file; close it to release the channel
     * @throws SafetensorsException when the file is missing or unreadable, or its header is invalid (naming the
     *     file and the tensor)
     */
    public static SafetensorsFile open(Path path) throws SafetensorsException {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path + ": no such file");
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return read(path, channel);
        } catch (SafetensorsException | RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafetensorsFile read(Path path, FileChannel channel) throws SafetensorsException {
        try {
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(path + ": truncated file (" + size + " bytes, no header length)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER) {
                throw new SafetensorsException(path + ": bad header length " + headerLen);
            }
            if (8 + headerLen > size) {
                throw new SafetensorsException(path + ": truncated file: header of " + headerLen
                        + " bytes does not fit in " + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(channel, headerBuf, 8);
            JsonNode root;
            try {
                root = JSON.readTree(headerBuf.array());
            } catch (IOException e) {
                throw new SafetensorsException(path + ": header is not valid JSON: " + SafetensorsException.reason(e), e);
            }
            if (root == null || !root.isObject()) {
                throw new SafetensorsException(path + ": header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLength = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    readMetadata(path, e.getValue(), metadata);
                } else {
                    tensors.put(e.getKey(), parseEntry(path, e.getKey(), e.getValue(), dataLength));
                }
            }
            checkOverlaps(path, tensors.values());
            return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafetensorsException(path + ": read error: " + e.getMessage(), e);
        }
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> out) throws SafetensorsException {
        if (!node.isObject()) {
            throw new SafetensorsException(path + ": __metadata__ is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new SafetensorsException(path + ": __metadata__ value of '" + m.getKey() + "' is not a string");
            }
            out.put(m.getKey(), m.getValue().asText());
        }
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode node, long dataLength)
            throws SafetensorsException {
        String where = path + ": tensor '" + name + "': ";
        if (!node.isObject()) {
            throw new SafetensorsException(where + "entry is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsException(where + "missing or non-string 'dtype'");
        }
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new SafetensorsException(where + "missing or non-array 'shape'");
        }
        if (offsetsNode == null || !offsetsNode.isArray() || offsetsNode.size() != 2
                || !isLong(offsetsNode.get(0)) || !isLong(offsetsNode.get(1))) {
            throw new SafetensorsException(where + "'data_offsets' must be two integers");
        }
        DType dtype;
        try {
            dtype = DType.parse(dtypeNode.asText());
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(where + e.getMessage());
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!isLong(d) || d.asLong() < 0) {
                throw new SafetensorsException(where + "bad dimension " + d + " in shape");
            }
            shape[i] = d.asLong();
        }
        long begin = offsetsNode.get(0).asLong();
        long end = offsetsNode.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new SafetensorsException(where + "bad data_offsets [" + begin + ", " + end + "]");
        }
        if (end > dataLength) {
            throw new SafetensorsException(where + "data_offsets [" + begin + ", " + end
                    + "] run past the end of the file (data section is " + dataLength + " bytes; truncated file?)");
        }
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        long expected;
        try {
            expected = Math.multiplyExact(info.numel(), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(where + "shape overflows");
        }
        if (expected != end - begin) {
            throw new SafetensorsException(where + "shape " + java.util.Arrays.toString(shape) + " of " + dtype
                    + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        return info;
    }

    private static boolean isLong(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong();
    }

    private static void checkOverlaps(Path path, Iterable<TensorInfo> infos) throws SafetensorsException {
        List<TensorInfo> sorted = new ArrayList<>();
        infos.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.byteLength() == 0) {
                continue;
            }
            if (prev != null && t.begin() < prev.end()) {
                throw new SafetensorsException(path + ": tensors '" + prev.name() + "' and '" + t.name()
                        + "' overlap in the data section");
            }
            prev = t;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
        buf.flip();
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do: the open already failed
        }
    }

    /**
     * The file this was read from.
     *
     * @return the path given to {@link #open}
     */
    public Path path() {
        return path;
    }

    /**
     * The header's {@code __metadata__} entries.
     *
     * @return the string map, in file order; empty when the header has none
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Path fileOf(String name) throws SafetensorsException {
        info(name);
        return path;
    }

    @Override
    public ByteBuffer buffer(String name) throws SafetensorsException {
        TensorInfo info = info(name);
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor '" + name + "' is larger than 2 GiB ("
                    + info.byteLength() + " bytes); tensors that large are not supported");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteLength())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new SafetensorsException(path + ": tensor '" + name + "': cannot map: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the tensor's bytes with positional reads into {@code scratch} (no memory map, so none of the file's pages
     * count towards the process's memory).
     */
    @Override
    public ByteBuffer read(String name, ByteBuffer scratch) throws SafetensorsException {
        TensorInfo info = info(name);
        if (scratch.capacity() < info.byteLength()) {
            return buffer(name);
        }
        ByteBuffer dst = scratch.duplicate().clear().limit((int) info.byteLength()).slice();
        try {
            readFully(channel, dst, dataStart + info.begin());
        } catch (IOException e) {
            throw new SafetensorsException(path + ": tensor '" + name + "': cannot read: " + e.getMessage(), e);
        }
        return dst.order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
