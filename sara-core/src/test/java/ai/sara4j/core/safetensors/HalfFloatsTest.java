package ai.sara4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    /** Independent decoding of binary16: (-1)^s · 2^(e-15) · (1 + m/1024), or m · 2^-24 when e = 0. */
    private static double halfValue(int bits) {
        int sign = (bits >> 15) & 1;
        int exp = (bits >> 10) & 0x1f;
        int mant = bits & 0x3ff;
        double v = exp == 0 ? Math.scalb((double) mant, -24) : Math.scalb(1 + mant / 1024.0, exp - 15);
        return sign == 1 ? -v : v;
    }

    @Test
    void everyHalfBitPatternDecodesAndRoundTrips() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfFloats.halfToFloat((short) bits);
            int exp = (bits >> 10) & 0x1f;
            int mant = bits & 0x3ff;
            if (exp == 0x1f && mant != 0) {
                assertTrue(Float.isNaN(f), Integer.toHexString(bits));
                assertTrue(Float.isNaN(HalfFloats.halfToFloat(HalfFloats.floatToHalf(f))));
                continue;
            }
            if (exp == 0x1f) {
                assertEquals((bits & 0x8000) != 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY, f);
            } else {
                assertEquals(halfValue(bits), f, 0.0, Integer.toHexString(bits));
            }
            assertEquals(bits, HalfFloats.floatToHalf(f) & 0xffff, "round trip of " + Integer.toHexString(bits));
        }
    }

    @Test
    void knownBitPatterns() {
        assertEquals(1.0f, HalfFloats.halfToFloat((short) 0x3c00));
        assertEquals(65504f, HalfFloats.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, HalfFloats.halfToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(1023 * 0x1p-24f, HalfFloats.halfToFloat((short) 0x03ff), "largest subnormal");
        assertEquals(0x1p-14f, HalfFloats.halfToFloat((short) 0x0400), "smallest normal");
        assertEquals(0x8000, HalfFloats.floatToHalf(-0f) & 0xffff);
        assertEquals(0x7c00, HalfFloats.floatToHalf(65520f) & 0xffff, "halfway to 65536 rounds to even: inf");
        assertEquals(0x7bff, HalfFloats.floatToHalf(Math.nextDown(65520f)) & 0xffff);
        assertEquals(0x3c00, HalfFloats.floatToHalf(1 + 0x1p-11f) & 0xffff, "tie to even");
        assertEquals(0x3c02, HalfFloats.floatToHalf(1 + 3 * 0x1p-11f) & 0xffff, "tie to even, upwards");
        assertEquals(0x0000, HalfFloats.floatToHalf(0x1p-25f) & 0xffff, "half the smallest subnormal: tie to 0");
        assertEquals(0x0001, HalfFloats.floatToHalf(Math.nextUp(0x1p-25f)) & 0xffff);
        assertEquals(0x0002, HalfFloats.floatToHalf(1.5f * 0x1p-24f) & 0xffff);
        assertEquals(0x0400, HalfFloats.floatToHalf(1023.5f * 0x1p-24f) & 0xffff, "subnormal rounds up to normal");

        assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3f80));
        assertEquals(-2.5f, HalfFloats.bf16ToFloat((short) 0xc020));
        assertEquals(0x1p-133f, HalfFloats.bf16ToFloat((short) 0x0001), "smallest bf16 subnormal");
        assertEquals(0x3f80, HalfFloats.floatToBf16(1 + 0x1p-8f) & 0xffff, "tie to even");
        assertEquals(0x3f82, HalfFloats.floatToBf16(1 + 3 * 0x1p-8f) & 0xffff, "tie to even, upwards");
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.MAX_VALUE) & 0xffff, "rounds to inf");
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f800001)))),
                "a NaN whose payload sits in the low bits stays NaN");
    }

    /** PyTorch's own conversions of 840 float32 values (tools/fixtures/make_safetensors_fixtures.py). */
    @Test
    void matchesPyTorchConversions() throws Exception {
        JsonNode rows;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/safetensors/conversions.json")) {
            rows = new ObjectMapper().readTree(in);
        }
        assertEquals(840, rows.size());
        for (JsonNode row : rows) {
            float f = Float.intBitsToFloat((int) row.get(0).asLong());
            int half = row.get(1).asInt();
            int bf16 = row.get(2).asInt();
            String what = Integer.toHexString((int) row.get(0).asLong());
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(HalfFloats.halfToFloat(HalfFloats.floatToHalf(f))), what);
                assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(f))), what);
                continue;
            }
            assertEquals(half, HalfFloats.floatToHalf(f) & 0xffff, "half of " + what);
            assertEquals(bf16, HalfFloats.floatToBf16(f) & 0xffff, "bf16 of " + what);
            assertEquals(Float.intBitsToFloat(bf16 << 16), HalfFloats.bf16ToFloat((short) bf16));
        }
    }
}
