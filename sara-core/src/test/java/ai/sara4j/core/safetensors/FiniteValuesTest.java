package ai.sara4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NaN and infinities are found in every floating dtype, never written, and refused when read. */
class FiniteValuesTest {
    @TempDir
    Path dir;

    /** Little-endian bytes of {@code values} stored as {@code dtype} (values chosen to be exact in it). */
    private static ByteBuffer encode(DType dtype, double[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (dtype) {
                case F64 -> b.putDouble(v);
                case F32 -> b.putFloat((float) v);
                case F16 -> b.putShort(HalfFloats.floatToHalf((float) v));
                case BF16 -> b.putShort(HalfFloats.floatToBf16((float) v));
                default -> throw new AssertionError(dtype);
            }
        }
        return b.flip();
    }

    /**
     * Against a per-element reference (Double.isFinite of each decoded value): every dtype, every length 0..19 (so
     * every tail of a long), a bad value at every position, each kind of bad value, and the largest finite ones.
     */
    @Test
    void scanAgreesWithAnElementByElementReference() {
        double[] bad = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        Random random = new Random(7);
        for (DType dtype : List.of(DType.F64, DType.F32, DType.F16, DType.BF16)) {
            double max = switch (dtype) {
                case F64 -> Double.MAX_VALUE;
                case F32 -> Float.MAX_VALUE;
                case F16 -> 65504;
                default -> HalfFloats.bf16ToFloat((short) 0x7f7f);
            };
            for (int n = 0; n < 20; n++) {
                double[] values = new double[n];
                for (int i = 0; i < n; i++) {
                    values[i] = i % 3 == 0 ? -max : i % 3 == 1 ? max : random.nextGaussian();
                }
                assertEquals(-1, FiniteValues.firstNonFinite(dtype, encode(dtype, values)), dtype + " n=" + n);
                for (int at = 0; at < n; at++) {
                    for (double v : bad) {
                        double[] withBad = values.clone();
                        withBad[at] = v;
                        if (at + 1 < n) {
                            withBad[n - 1] = Double.NaN; // a later one too: the first is reported
                        }
                        assertEquals(at, FiniteValues.firstNonFinite(dtype, encode(dtype, withBad)),
                                dtype + " n=" + n + " " + v + " at " + at);
                    }
                }
            }
        }
        assertEquals(-1, FiniteValues.firstNonFinite(DType.I64, ByteBuffer.allocate(8).putLong(0, -1L)),
                "integer tensors have no non-finite values");
    }

    @Test
    void writerRefusesNonFiniteValuesNamingFileAndTensorAndWritesNothing() throws Exception {
        Path out = dir.resolve("adapter_model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().addFloats("ok", new long[] {2}, new float[] {1, 2})
                .addFloats("lora_B", new long[] {3}, new float[] {0, Float.NaN, 1});
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> w.write(out));
        assertTrue(e.getMessage().contains(out + ": tensor 'lora_B': non-finite value NaN at element 1 of 3"),
                e.getMessage());
        assertFalse(Files.exists(out));
        assertEquals(List.of(), Files.list(dir).toList(), "no temporary file left");
        SafetensorsWriter inf = new SafetensorsWriter().add("h", DType.F16, new long[] {2},
                encode(DType.F16, new double[] {1, Double.NEGATIVE_INFINITY}));
        assertTrue(assertThrows(SafetensorsException.class, () -> inf.write(out)).getMessage()
                .contains("tensor 'h': non-finite value -Infinity at element 1 of 2"));
    }

    @Test
    void readingRefusesNonFiniteValuesWithOrWithoutConversion() throws Exception {
        Path file = dir.resolve("weights.safetensors"); // written raw: the writer would refuse these values
        ByteBuffer f32 = encode(DType.F32, new double[] {1, 2, Double.POSITIVE_INFINITY});
        ByteBuffer bf16 = encode(DType.BF16, new double[] {Double.NaN, 1});
        ByteBuffer big = encode(DType.F32, new double[] {1, 70000});
        String header = "{\"f32\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[12,16]},"
                + "\"big\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}";
        ByteBuffer raw = ByteBuffer.allocate(8 + header.length() + 24).order(ByteOrder.LITTLE_ENDIAN);
        raw.putLong(header.length()).put(header.getBytes()).put(f32).put(bf16).put(big);
        Files.write(file, raw.array());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (DType target : List.of(DType.F32, DType.F64, DType.F16)) {
                SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.floatBuffer("f32", target));
                assertTrue(e.getMessage().contains(file + ": tensor 'f32': non-finite value Infinity at element 2 of 3"),
                        target + ": " + e.getMessage());
            }
            assertTrue(assertThrows(SafetensorsException.class, () -> f.readFloats("bf16")).getMessage()
                    .contains("tensor 'bf16': non-finite value NaN at element 0 of 2"));
            assertArrayEquals(new float[] {1, 70000}, f.readFloats("big"));
            assertTrue(assertThrows(SafetensorsException.class, () -> f.floatBuffer("big", DType.F16)).getMessage()
                    .contains("tensor 'big': value 70000.0 at element 1 of 2 does not fit in F16"));
        }
    }
}
