package ai.sara4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.io.AtomicFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    private Path resource(String name) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/fixtures/safetensors/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    private static JsonNode expected() throws IOException {
        try (InputStream in = SafetensorsFileTest.class.getResourceAsStream("/fixtures/safetensors/all-dtypes.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static long[] shape(JsonNode node) {
        long[] s = new long[node.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = node.get(i).asLong();
        }
        return s;
    }

    /** A file written by Python's safetensors (tools/fixtures/make_safetensors_fixtures.py) reads back exactly. */
    @Test
    void readsPythonWrittenFileExactly() throws Exception {
        JsonNode expected = expected();
        try (SafetensorsFile f = SafetensorsFile.open(resource("all-dtypes.safetensors"))) {
            assertEquals(Map.of("format", "pt", "note", "written by make_safetensors_fixtures.py"), f.metadata());
            assertEquals(11, f.tensors().size());
            expected.get("tensors").fields().forEachRemaining(e -> {
                try {
                    TensorInfo info = f.info(e.getKey());
                    assertEquals(e.getValue().get("dtype").asText(), info.dtype().name(), e.getKey());
                    assertArrayEquals(shape(e.getValue().get("shape")), info.shape(), e.getKey());
                    assertEquals(e.getValue().get("hex").asText(), HexFormat.of().formatHex(bytes(f.buffer(e.getKey()))),
                            e.getKey());
                } catch (SafetensorsException ex) {
                    throw new AssertionError(ex);
                }
            });
            // the fixture's NaN and infinities are read exactly as bytes, but refused as values (file, tensor, element)
            assertTrue(assertThrows(SafetensorsException.class, () -> f.readDoubles("f64")).getMessage()
                    .contains("all-dtypes.safetensors: tensor 'f64': non-finite value Infinity at element 3 of 4"));
            assertTrue(assertThrows(SafetensorsException.class, () -> f.readFloats("f32")).getMessage()
                    .contains("tensor 'f32': non-finite value NaN at element 3 of 5"));
            assertTrue(assertThrows(SafetensorsException.class, () -> f.floatBuffer("f16", DType.F64)).getMessage()
                    .contains("tensor 'f16': non-finite value -Infinity at element 3 of 5"));
            assertTrue(assertThrows(SafetensorsException.class, () -> f.floatBuffer("bf16", DType.F16)).getMessage()
                    .matches(".*tensor 'bf16': value [0-9.]+E38 at element 4 of 6 does not fit in F16.*"),
                    "3e38 in bfloat16 is above half's 65504");
            assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1}, f.readLongs("i64"));
            assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 7}, f.readLongs("i32"));
            assertArrayEquals(new long[] {-128, 127, -1}, f.readLongs("i8"));
            assertArrayEquals(new long[] {0, 255, 128}, f.readLongs("u8"));
            assertArrayEquals(new long[] {1, 0, 1}, f.readLongs("bool"));
            float[] bf16 = f.readFloats("bf16");
            assertEquals(-2.5f, bf16[1]);
            assertEquals(3.140625f, bf16[2], "3.14159 in bfloat16");
            assertArrayEquals(new float[] {42}, f.readFloats("scalar"));
            assertEquals(0, f.info("empty").numel());
            assertEquals(0, f.readFloats("empty").length);
            // conversions through the buffer API
            assertTrue(f.floatBuffer("scalar", DType.F32) instanceof MappedByteBuffer, "no conversion: the map itself");
            assertEquals(HalfFloats.floatToHalf(42f), f.floatBuffer("scalar", DType.F16).getShort(0));
            assertEquals(-2.5, f.floatBuffer("bf16", DType.F64).getDouble(8));
            SafetensorsException notFloat = assertThrows(SafetensorsException.class, () -> f.readFloats("i8"));
            assertTrue(notFloat.getMessage().contains("all-dtypes.safetensors: tensor 'i8' is I8"), notFloat.getMessage());
            SafetensorsException missing = assertThrows(SafetensorsException.class, () -> f.buffer("nope"));
            assertTrue(missing.getMessage().contains("missing tensor 'nope'"));
        }
    }

    /**
     * With a large enough scratch buffer, a tensor is read into it (no map) and converted in place, widening and
     * narrowing, with the same bytes as a conversion from the map; a too small scratch is left alone; a value that
     * does not fit is reported with its element, as from the map.
     */
    @Test
    void conversionReusesScratch() throws Exception {
        Path file = dir.resolve("s.safetensors");
        short[] bits = {HalfFloats.floatToBf16(1.5f), HalfFloats.floatToBf16(-3f), HalfFloats.floatToBf16(0.1f)};
        ByteBuffer raw = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        for (short b : bits) {
            raw.putShort(b);
        }
        new SafetensorsWriter().add("w", DType.BF16, new long[] {3}, raw.flip())
                .addFloats("f", new long[] {2}, new float[] {1, 2})
                .addFloats("big", new long[] {3}, new float[] {1, 1e5f, 3}).write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            ByteBuffer scratch = ByteBuffer.allocateDirect(64);
            scratch.put(0, (byte) 7);
            ByteBuffer view = f.floatBuffer("w", DType.F32, scratch);
            assertEquals(12, view.remaining());
            assertEquals(ByteOrder.LITTLE_ENDIAN, view.order());
            assertArrayEquals(bytes(f.floatBuffer("w", DType.F32)), bytes(view));
            for (int i = 0; i < bits.length; i++) {
                // bf16 widens to float32 as its bits in the top half, by hand
                assertEquals((bits[i] & 0xffff) << 16, scratch.order(ByteOrder.LITTLE_ENDIAN).getInt(4 * i));
            }
            ByteBuffer small = ByteBuffer.allocateDirect(8);
            ByteBuffer fresh = f.floatBuffer("w", DType.F32, small);
            assertEquals(12, fresh.capacity());
            assertEquals(0, small.getLong(0), "a too small scratch is not written");
            ByteBuffer same = f.floatBuffer("f", DType.F32, scratch);
            assertArrayEquals(bytes(f.buffer("f")), bytes(same));
            scratch.putFloat(0, 9f);
            assertEquals(9f, same.getFloat(0), "read into the scratch, not mapped");
            ByteBuffer narrowed = f.floatBuffer("f", DType.F16, scratch);
            assertEquals(4, narrowed.remaining());
            assertEquals(HalfFloats.floatToHalf(1f), narrowed.getShort(0));
            assertEquals(HalfFloats.floatToHalf(2f), narrowed.getShort(2));
            assertEquals(assertThrows(SafetensorsException.class, () -> f.floatBuffer("big", DType.F16)).getMessage(),
                    assertThrows(SafetensorsException.class, () -> f.floatBuffer("big", DType.F16, scratch))
                            .getMessage());
            assertTrue(assertThrows(SafetensorsException.class, () -> f.floatBuffer("big", DType.F16, scratch))
                    .getMessage().endsWith("'big': value 100000.0 at element 1 of 3 does not fit in F16"));
        }
    }

    @Test
    void writerRoundTripsEveryDtypeWithAlignedHeader() throws Exception {
        JsonNode expected = expected();
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt").metadata("k", "v");
        expected.get("tensors").fields().forEachRemaining(e -> {
            byte[] data = HexFormat.of().parseHex(e.getValue().get("hex").asText());
            writer.add(e.getKey(), DType.parse(e.getValue().get("dtype").asText()), shape(e.getValue().get("shape")),
                    ByteBuffer.wrap(finite(DType.parse(e.getValue().get("dtype").asText()), data)));
        });
        Path out = dir.resolve("sub/out.safetensors");
        writer.write(out);
        byte[] file = Files.readAllBytes(out);
        long headerLen = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to a multiple of 8");
        String header = new String(file, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\",\"k\":\"v\"}"), header);
        String json = header.stripTrailing();
        assertTrue(json.endsWith("}") && header.length() - json.length() < 8, "padded with at most 7 spaces");
        assertEquals(" ".repeat(header.length() - json.length()), header.substring(json.length()));
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(Map.of("format", "pt", "k", "v"), f.metadata());
            assertEquals(List.copyOf(iterable(expected.get("tensors").fieldNames())), List.copyOf(f.tensors().keySet()));
            for (String name : f.tensors().keySet()) {
                JsonNode e = expected.get("tensors").get(name);
                assertEquals(e.get("dtype").asText(), f.info(name).dtype().name());
                assertArrayEquals(shape(e.get("shape")), f.info(name).shape());
                byte[] written = finite(DType.parse(e.get("dtype").asText()), HexFormat.of().parseHex(e.get("hex").asText()));
                assertEquals(HexFormat.of().formatHex(written), HexFormat.of().formatHex(bytes(f.buffer(name))), name);
            }
        }
        try (Stream<Path> files = Files.list(out.getParent())) {
            assertEquals(List.of(out), files.toList(), "no temporary file left behind");
        }
    }

    /** {@code data} with its NaN and infinities zeroed: the writer refuses them (FiniteValuesTest). */
    private static byte[] finite(DType dtype, byte[] data) {
        byte[] out = data.clone();
        ByteBuffer b = ByteBuffer.wrap(out);
        for (long i; (i = FiniteValues.firstNonFinite(dtype, b)) >= 0; ) {
            java.util.Arrays.fill(out, (int) i * dtype.byteSize(), (int) (i + 1) * dtype.byteSize(), (byte) 0);
        }
        return out;
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void failedWriteLeavesThePreviousFileAndNoTemporary() throws Exception {
        Path target = dir.resolve("model.safetensors");
        new SafetensorsWriter().addFloats("a", new long[] {2}, new float[] {1, 2}).write(target);
        byte[] before = Files.readAllBytes(target);
        assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100]);
            throw new IOException("disk full");
        }));
        assertArrayEquals(before, Files.readAllBytes(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
        new SafetensorsWriter().addFloats("b", new long[] {1}, new float[] {3}).write(target);
        try (SafetensorsFile f = SafetensorsFile.open(target)) {
            assertEquals(List.of("b"), List.copyOf(f.tensors().keySet()), "overwritten in place");
        }
    }

    @Test
    void writerRefusesInconsistentTensors() {
        SafetensorsWriter w = new SafetensorsWriter();
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> w.add("t", DType.F32, new long[] {3}, ByteBuffer.allocate(8))).getMessage().contains("'t'"));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", DType.U8, new long[] {0},
                ByteBuffer.allocate(0)));
        w.addFloats("t", new long[] {1}, new float[] {1});
        assertThrows(IllegalArgumentException.class, () -> w.addFloats("t", new long[] {1}, new float[] {1}));
    }

    // ---- header violations: every one is a SafetensorsException naming the file (and the tensor) ----

    private Path raw(String name, long headerLen, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(h);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private Path raw(String name, String header, int dataBytes) throws IOException {
        return raw(name, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private static String rejected(Path file, String... fragments) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        String msg = e.getMessage();
        assertTrue(msg.startsWith(file.toString() + ": "), msg);
        for (String f : fragments) {
            assertTrue(msg.contains(f), () -> "'" + f + "' not in: " + msg);
        }
        assertTrue(msg.length() < 400, () -> "one readable line: " + msg);
        return msg;
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    @Test
    void headerViolations() throws Exception {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        rejected(tiny, "truncated file", "3 bytes");
        rejected(raw("long.safetensors", 1000, "{}", 0), "truncated file", "header of 1000 bytes");
        rejected(raw("huge.safetensors", 1L << 40, "{}", 0), "bad header length " + (1L << 40));
        rejected(raw("negative.safetensors", -5, "{}", 0), "bad header length -5");
        rejected(raw("zero.safetensors", 0, "", 0), "bad header length 0");
        rejected(raw("json.safetensors", "{\"a\":{\"dtype\":", 0), "header is not valid JSON");
        rejected(raw("array.safetensors", "[1,2]", 0), "header is not a JSON object");
        rejected(raw("dtype.safetensors", "{" + entry("w", "F8_E4M3", "[1]", 0, 1) + "}", 1),
                "tensor 'w'", "unsupported safetensors dtype 'F8_E4M3'");
        rejected(raw("span.safetensors", "{" + entry("w", "F32", "[3]", 0, 8) + "}", 8),
                "tensor 'w'", "shape [3] of F32 needs 12 bytes but data_offsets span 8");
        rejected(raw("past.safetensors", "{" + entry("w", "F32", "[4]", 0, 16) + "}", 8),
                "tensor 'w'", "run past the end of the file");
        rejected(raw("overlap.safetensors", "{" + entry("a", "F32", "[2]", 0, 8) + ","
                + entry("b", "F32", "[2]", 4, 12) + "}", 12), "tensors 'a' and 'b' overlap");
        rejected(raw("backwards.safetensors", "{" + entry("w", "U8", "[0]", 8, 4) + "}", 8),
                "tensor 'w'", "bad data_offsets [8, 4]");
        rejected(raw("dim.safetensors", "{" + entry("w", "F32", "[-1]", 0, 4) + "}", 4), "tensor 'w'", "bad dimension");
        rejected(raw("bigint.safetensors", "{" + entry("w", "U8", "[1]", 0, 1).replace("[0,1]",
                "[0,99999999999999999999999]") + "}", 1), "tensor 'w'", "'data_offsets' must be two integers");
        rejected(raw("overflow.safetensors", "{" + entry("w", "F64", "[4294967296,4294967296]", 0, 8) + "}", 8),
                "tensor 'w'", "shape overflows");
        rejected(raw("dup.safetensors", "{" + entry("w", "U8", "[1]", 0, 1) + "," + entry("w", "U8", "[1]", 1, 2)
                + "}", 2), "not valid JSON", "Duplicate field 'w'");
        rejected(raw("entry.safetensors", "{\"w\":[1]}", 0), "tensor 'w'", "not a JSON object");
        rejected(raw("meta.safetensors", "{\"__metadata__\":{\"a\":1}}", 0), "__metadata__ value of 'a'");
        Path absent = dir.resolve("absent.safetensors");
        assertEquals(absent + ": no such file",
                assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(absent)).getMessage());
    }

    /**
     * A sparse file over 2 GiB: a 2.2e9-byte U8 tensor that is never written, then a small F32 tensor after the
     * gap, beyond offset 2^31.
     */
    @Test
    void readsTensorsBeyondTwoGibibytes() throws Exception {
        long gap = 2_200_000_000L;
        String header = "{" + entry("gap", "U8", "[" + gap + "]", 0, gap) + ","
                + entry("after", "F32", "[3]", gap, gap + 12) + "}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        Path big = dir.resolve("big.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, h.length);
            f.write(len.array());
            f.write(h);
            f.seek(8 + h.length + gap);
            ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            data.putFloat(1.25f).putFloat(-7f).putFloat(3e-3f);
            f.write(data.array());
        }
        try {
            assertTrue(Files.size(big) > (1L << 31));
            try (SafetensorsFile f = SafetensorsFile.open(big)) {
                assertArrayEquals(new float[] {1.25f, -7f, 3e-3f}, f.readFloats("after"));
                SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.buffer("gap"));
                assertTrue(e.getMessage().contains("tensor 'gap' is larger than 2 GiB"), e.getMessage());
            }
        } finally {
            Files.delete(big);
        }
    }
}
