package ai.sara4j.core.rank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RankRuleTest {
    // cumulative sums 8, 12, 14, 15, 16 of 16: every ratio is exact in binary
    private static final double[] SPECTRUM = {8, 4, 2, 1, 1};

    private static int rank(double threshold, double... s) {
        return new RankRule(threshold).rank("m", s);
    }

    @Test
    void smallestKReachingTheThreshold() {
        assertEquals(1, rank(0.5, SPECTRUM), "8 >= 0.5 * 16: the boundary itself counts");
        assertEquals(2, rank(Math.nextUp(0.5), SPECTRUM));
        assertEquals(2, rank(0.75, SPECTRUM));
        assertEquals(3, rank(0.76, SPECTRUM));
        assertEquals(3, rank(0.875, SPECTRUM));
        assertEquals(4, rank(0.9375, SPECTRUM));
        assertEquals(5, rank(0.95, SPECTRUM));
        assertEquals(5, rank(1.0, SPECTRUM), "threshold 1 keeps every non-zero value");
        assertEquals(1, rank(1e-12, SPECTRUM), "a tiny threshold still gives k = 1");
        assertEquals(1, rank(Double.MIN_VALUE, SPECTRUM));
    }

    @Test
    void sortsACopyOfUnsortedInput() {
        double[] shuffled = {1, 8, 2, 1, 4};
        assertEquals(2, rank(0.75, shuffled));
        assertEquals(3, rank(0.76, shuffled));
        assertArrayEquals(new double[] {1, 8, 2, 1, 4}, shuffled, "input untouched");
    }

    @Test
    void zeroSingularValuesOfARankDeficientMatrix() {
        assertEquals(2, rank(1.0, 3, 1, 0, 0), "threshold 1 gives the matrix rank, not min(out, in)");
        assertEquals(1, rank(0.75, 3, 1, 0, 0));
        assertEquals(1, rank(1.0, 0, 5));
    }

    @Test
    void inexactRatiosFollowFloat64Arithmetic() {
        // expected values from numpy: c = np.cumsum([0.3, 0.2, 0.1]) = [0.3, 0.5, 0.6]; argmax(c >= t * c[-1]) + 1
        double[] s = {0.1, 0.2, 0.3};
        assertEquals(0.6, Spectrum.of("m", s).total());
        assertEquals(1, rank(0.5, s));
        assertEquals(2, rank(5.0 / 6.0, s), "0.8333333333333334 * 0.6 rounds to 0.5");
        assertEquals(3, rank(Math.nextUp(5.0 / 6.0), s));
        assertEquals(3, rank(0.9999999999999999, s));
    }

    @Test
    void breakpointsSeparateRanksExactly() {
        Spectrum sp = Spectrum.of("m", SPECTRUM);
        assertEquals(0.5, sp.largestThresholdForRank(1));
        assertEquals(0.75, sp.largestThresholdForRank(2));
        assertEquals(1.0, sp.largestThresholdForRank(5));
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            double[] s = new double[1 + random.nextInt(40)];
            for (int i = 0; i < s.length; i++) {
                s[i] = random.nextDouble() * Math.pow(10, random.nextInt(7) - 3);
            }
            Spectrum spectrum = Spectrum.of("random", s);
            for (int k = 1; k <= spectrum.size(); k++) {
                double u = spectrum.largestThresholdForRank(k);
                assertTrue(u > 0 && u <= 1);
                assertTrue(new RankRule(u).rank(spectrum) <= k, "rank at the breakpoint");
                if (u < 1) {
                    assertTrue(new RankRule(Math.nextUp(u)).rank(spectrum) > k, "rank just above the breakpoint");
                }
            }
        }
    }

    @Test
    void thresholdOutsideZeroOneIsAnError() {
        for (double bad : new double[] {0, -0.1, 1.0000001, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RankRule(bad));
            assertEquals("threshold must be in (0, 1], got " + bad, e.getMessage());
        }
    }

    @Test
    void badSpectraNameTheModule() {
        RankRule rule = new RankRule(0.5);
        String zero = assertThrows(IllegalArgumentException.class,
                () -> rule.rank("model.layers.0.self_attn.q_proj", new double[] {0, 0, 0})).getMessage();
        assertTrue(zero.startsWith("model.layers.0.self_attn.q_proj: ") && zero.contains("zero matrix"), zero);
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            String msg = assertThrows(IllegalArgumentException.class, () -> rule.rank("layer.v", new double[] {1, bad}))
                    .getMessage();
            assertTrue(msg.startsWith("layer.v: ") && msg.contains("not finite"), msg);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> rule.rank("w", new double[] {1, -1}))
                .getMessage().startsWith("w: negative"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> rule.rank("w", new double[0]))
                .getMessage().startsWith("w: no singular values"));
    }
}
