package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attention of {@link SelfAttention#attend} (the fused kernel, and the eager reference) against
 * softmax(q·kᵀ masked)·v written out in float64 from a mask built by hand, values and gradients w.r.t. q, k and v,
 * in float32 and float16, always with grouped-query heads (each key/value head repeated for two query heads). The
 * cases cover each mask layout: causal without padding (no mask, {@code is_causal}), left and right padding, several
 * queries after cached keys, and one query after cached keys with and without padding. The float64 reference starts
 * from the very values the tested dtype holds, so only the computation's own rounding is measured. A query that sees
 * no key (left padding) attends to every key, as {@link AttentionContext} defines: finite, and with a gradient.
 */
class FusedAttentionTest {
    private static final int B = 2;
    private static final int H = 4;
    private static final int KV = 2;
    private static final int D = 8;

    /**
     * One masking situation.
     *
     * @param leftPad padding tokens at the start of each row
     * @param rightPad padding tokens at the end of each row
     * @param past cached positions before the T queries
     * @param t queries
     * @param layout the layout {@link AttentionContext#of} must choose
     */
    record Case(String name, int[] leftPad, int[] rightPad, int past, int t, AttentionContext.MaskLayout layout) {
        int s() {
            return past + t;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> cases = List.of(
                new Case("causal", new int[] {0, 0}, new int[] {0, 0}, 0, 6, AttentionContext.MaskLayout.CAUSAL),
                new Case("left-padded", new int[] {0, 2}, new int[] {0, 0}, 0, 6, AttentionContext.MaskLayout.EXPLICIT),
                new Case("right-padded", new int[] {0, 0}, new int[] {3, 0}, 0, 6,
                        AttentionContext.MaskLayout.EXPLICIT),
                new Case("prefill-after-cache", new int[] {0, 0}, new int[] {0, 0}, 4, 3,
                        AttentionContext.MaskLayout.EXPLICIT),
                new Case("decode-step", new int[] {0, 0}, new int[] {0, 0}, 5, 1, AttentionContext.MaskLayout.NONE),
                new Case("left-padded-decode-step", new int[] {3, 0}, new int[] {0, 0}, 5, 1,
                        AttentionContext.MaskLayout.EXPLICIT));
        List<Arguments> out = new ArrayList<>();
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
            for (boolean eager : new boolean[] {false, true}) {
                for (Case c : cases) {
                    out.add(Arguments.of(type, eager ? "eager" : "fused", c));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void valuesAndGradientsEqualTheFloat64Formula(DataType type, String path, Case c) {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(11);
            // drawn in float32, rounded to the tested type, then widened: the reference sees the tested values
            NDArray q = m.randomNormal(new Shape(B, H, c.t(), D)).toType(type, false);
            NDArray k = m.randomNormal(new Shape(B, KV, c.s(), D)).toType(type, false);
            NDArray v = m.randomNormal(new Shape(B, KV, c.s(), D)).toType(type, false);
            NDArray weights = m.randomNormal(new Shape(B, H, c.t(), D)).toType(type, false);
            AttentionContext ctx = AttentionContext.of(null, null, tokenMask(m, c), c.past(), null, 0);
            assertEquals(c.layout(), ctx.mask(0).layout(), "mask layout");

            NDArray allowed = m.create(allowed(c), new Shape(B, 1, c.t(), c.s()));
            NDArray[] expected = valueAndGradients(wide(q), wide(k), wide(v), wide(weights),
                    (qq, kk, vv) -> reference(qq, repeat(kk), repeat(vv), allowed));
            NDArray[] actual;
            SelfAttention.eagerReference = "eager".equals(path);
            try {
                actual = valueAndGradients(q, k, v, weights,
                        (qq, kk, vv) -> SelfAttention.attend(qq, repeat(kk), repeat(vv), ctx.mask(0), 0));
            } finally {
                SelfAttention.eagerReference = false;
            }
            // float16 keeps 11 significant bits (relative step 2^-10 ≈ 1e-3); its kernels accumulate in float32
            double tolerance = type == DataType.FLOAT16 ? 4e-3 : 1e-5;
            String[] names = {"output", "dq", "dk", "dv"};
            for (int i = 0; i < expected.length; i++) {
                assertEquals(type, actual[i].getDataType(), names[i] + " dtype");
                double[] e = expected[i].toDoubleArray();
                double[] a = wide(actual[i]).toDoubleArray();
                double scale = Math.max(1, expected[i].abs().max().getDouble());
                double maxDiff = 0;
                for (int j = 0; j < e.length; j++) {
                    maxDiff = Math.max(maxDiff, Math.abs(e[j] - a[j]));
                }
                assertTrue(maxDiff <= tolerance * scale, names[i] + ": max |Δ| = " + maxDiff + " at scale " + scale);
                assertTrue(expected[i].abs().sum().getDouble() > 0.1, names[i] + " must not be trivially zero");
            }
        }
    }

    private interface Attention {
        NDArray apply(NDArray q, NDArray k, NDArray v);
    }

    /** [output, dL/dq, dL/dk, dL/dv] for L = Σ output·weights. */
    private static NDArray[] valueAndGradients(NDArray q, NDArray k, NDArray v, NDArray weights, Attention f) {
        for (NDArray x : new NDArray[] {q, k, v}) {
            x.setRequiresGradient(true);
        }
        NDArray out;
        try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
            out = f.apply(q, k, v);
            c.backward(out.mul(weights).sum());
        }
        return new NDArray[] {out.stopGradient(), q.getGradient(), k.getGradient(), v.getGradient()};
    }

    /** softmax over the allowed keys of q·kᵀ, times v, in float64. */
    private static NDArray reference(NDArray q, NDArray k, NDArray v, NDArray allowed) {
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        NDArray e = scores.sub(scores.max(new int[] {-1}, true)).exp().mul(allowed.toType(DataType.FLOAT64, false));
        return e.div(e.sum(new int[] {-1}, true)).matMul(v);
    }

    private static NDArray wide(NDArray x) {
        return x.toType(DataType.FLOAT64, false);
    }

    private static NDArray repeat(NDArray x) {
        Shape s = x.getShape();
        return x.expandDims(2).repeat(2, H / KV).reshape(B, H, s.get(2), D);
    }

    /** (B, S): 1 for tokens, 0 for the padding at either end. */
    private static NDArray tokenMask(NDManager m, Case c) {
        long[] mask = new long[B * c.s()];
        for (int row = 0; row < B; row++) {
            for (int j = 0; j < c.s(); j++) {
                mask[row * c.s() + j] = j >= c.leftPad()[row] && j < c.s() - c.rightPad()[row] ? 1 : 0;
            }
        }
        return m.create(mask, new Shape(B, c.s()));
    }

    /** Query i (at position past + i) sees token keys j ≤ past + i; a query that sees none sees every key. */
    private static boolean[] allowed(Case c) {
        boolean[] out = new boolean[B * c.t() * c.s()];
        for (int row = 0; row < B; row++) {
            for (int i = 0; i < c.t(); i++) {
                int base = (row * c.t() + i) * c.s();
                boolean any = false;
                for (int j = 0; j < c.s(); j++) {
                    boolean token = j >= c.leftPad()[row] && j < c.s() - c.rightPad()[row];
                    out[base + j] = token && j <= c.past() + i;
                    any |= out[base + j];
                }
                if (!any) {
                    java.util.Arrays.fill(out, base, base + c.s(), true);
                }
            }
        }
        return out;
    }
}
