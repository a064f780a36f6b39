package ai.sara4j.core.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MethodTest {

    @Test
    void trainableCountsPerModule() {
        // a 64 x 128 weight (out x in), rank 8, 5 heads
        assertEquals(8 * (128 + 64), Method.LORA.trainable(64, 128, 8, 5));
        assertEquals(8 * 64 + 8 + 8 * 128, Method.SARA.trainable(64, 128, 8, 5)); // U, lambda, V
        assertEquals(5 * 8 + 64 + 8 + 5, Method.MOSARA.trainable(64, 128, 8, 5)); // Lambda, v, w1, w2
        assertEquals(8 * 128 + 8 * 64 + 8, Method.SORA.trainable(64, 128, 8, 5)); // A, B, gate
        assertEquals(8 * 8 + 64, Method.EDORA.trainable(64, 128, 8, 5)); // R, magnitude
        assertEquals(4_000_000_000L, Method.LORA.trainable(100_000, 100_000, 20_000, 0), "no int overflow");
    }

    @Test
    void parsesCliNames() {
        for (Method m : Method.values()) {
            assertEquals(m, Method.parse(m.cliName()));
        }
        assertEquals(Method.MOSARA, Method.parse(" MoSARA"));
        assertEquals("mosara", Method.MOSARA.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Method.parse("dora"));
        assertEquals("unknown method 'dora'; valid: lora, sara, mosara, sora, edora", e.getMessage());
        assertTrue(Method.SARA.usesThreshold() && Method.MOSARA.usesThreshold());
        assertFalse(Method.LORA.usesThreshold() || Method.SORA.usesThreshold() || Method.EDORA.usesThreshold());
    }
}
