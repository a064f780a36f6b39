package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.djl.engine.Scalars;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The training arithmetic against torch (values printed by torch 2.13 in float64, see tools/fixtures/train_math.py)
 * and hand-derived numbers: AdamW over two updates (and float32 over three), the linear schedule, global-norm clipping, the masked causal
 * loss, and the loss scaler's growth and backoff.
 */
class TrainingMathTest {

    private static Parameter parameter(NDManager m, String name, double... values) {
        return parameter(name, m.create(values));
    }

    private static Parameter parameter(String name, NDArray value) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
                .optArray(value).optRequiresGrad(true).build();
        p.getArray().setRequiresGradient(true);
        return p;
    }

    /** Gives {@code p} the gradient {@code g} (backward of sum(p·g)), replacing what it had. */
    private static void setGradient(Parameter p, double... g) {
        try (NDArray gradient = p.getArray().getManager().create(g)) {
            setGradient(p, gradient);
        }
    }

    private static void setGradient(Parameter p, NDArray g) {
        if (p.getArray().hasGradient()) {
            GradientClipping.zero(List.of(p));
        }
        backward(p, g);
    }

    /** Adds {@code g} to the gradient of {@code p} (backward of sum(p·g); DJL accumulates). */
    private static void backward(Parameter p, NDArray g) {
        try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
            c.backward(p.getArray().mul(g).sum());
        }
    }

    @Test
    void adamWMatchesTorchOverTwoUpdates() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m, "p", 1.0, -2.0, 0.3);
            try (AdamW adamW = AdamW.withDefaults(Map.of("p", p), 0.01)) {
                setGradient(p, 0.5, -0.1, 0.0);
                adamW.step(0.1);
                // step 1 moves by lr·sign(g) after the decay p·(1 − lr·wd); a zero gradient only decays
                assertArrayEquals(new double[] {0.899000002, -1.89800001, 0.2997}, p.getArray().toDoubleArray(),
                        1e-12);
                setGradient(p, 0.2, 0.3, -1e-3);
                adamW.step(0.1);
                assertArrayEquals(new double[] {0.8082434839009282, -1.9455209911100655, 0.3738129302663101},
                        p.getArray().toDoubleArray(), 1e-12);
                assertEquals(2, adamW.steps());
            }
        }
    }

    @Test
    void adamWMatchesTorchInFloat32OverThreeUpdatesWithDecay() throws Exception {
        // tools/fixtures/train_math.py: torch.optim.AdamW(lr=1e-2, weight_decay=0.1, fused=False) on float32
        // parameters shaped like a SARA adapter's; SARA4J runs torch's fused kernel
        Path file = Path.of(getClass().getResource("/fixtures/train/adamw-f32.safetensors").toURI());
        List<String> names = List.of("u", "lambda", "v", "scale");
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile torch = SafetensorsFile.open(file)) {
            Map<String, Parameter> parameters = new LinkedHashMap<>();
            for (String name : names) {
                parameters.put(name, parameter(name, fixture(m, torch, name + ".start")));
            }
            try (AdamW adamW = new AdamW(parameters, 0.9, 0.999, 1e-8, 0.1)) {
                for (int t = 1; t <= 3; t++) {
                    for (String name : names) {
                        try (NDArray g = fixture(m, torch, name + ".grad" + t)) {
                            setGradient(parameters.get(name), g);
                        }
                    }
                    adamW.step(1e-2);
                    for (String name : names) {
                        NDArray p = parameters.get(name).getArray();
                        assertEquals(DataType.FLOAT32, p.getDataType());
                        assertArrayEquals(torch.readFloats(name + ".after" + t), p.toFloatArray(), 1e-6f,
                                name + " after update " + t);
                    }
                }
            }
        }
    }

    private static NDArray fixture(NDManager m, SafetensorsFile file, String name) throws IOException {
        return m.create(file.readFloats(name), new Shape(file.info(name).shape()));
    }

    @Test
    void gradientOperationsLandInTheParametersGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m, "p", 1.0, 2.0, 3.0);
            Parameter unused = parameter(m, "unused", 1.0); // never reached by a backward pass: no gradient
            List<Parameter> both = List.of(p, unused);
            setGradient(p, 1.0, -2.0, 4.0);
            assertEquals(Math.sqrt(21), GradientClipping.globalNorm(both), 1e-12);
            GradientClipping.scale(both, 0.5);
            assertArrayEquals(new double[] {0.5, -1.0, 2.0}, p.getArray().getGradient().toDoubleArray());
            GradientClipping.zero(both);
            assertArrayEquals(new double[] {0, 0, 0}, p.getArray().getGradient().toDoubleArray());
            // the next backward accumulates into the zeroed gradient: it holds the fresh gradient alone
            try (NDArray fresh = m.create(new double[] {3.0, 0.25, -1.0})) {
                backward(p, fresh);
                assertArrayEquals(fresh.toDoubleArray(), p.getArray().getGradient().toDoubleArray());
            }
            try (AdamW adamW = AdamW.withDefaults(Map.of("p", p, "unused", unused), 0.01)) {
                adamW.step(0.1);
                // a missing gradient counts as zero: the parameter only decays; the others decay and move by
                // lr·g/(|g| + eps) at the first update
                assertArrayEquals(new double[] {1 - 0.1 * 0.01}, unused.getArray().toDoubleArray(), 1e-15);
                assertArrayEquals(new double[] {0.999 - 0.1, 1.998 - 0.1, 2.997 + 0.1},
                        p.getArray().toDoubleArray(), 1e-8);
            }
        }
    }

    @Test
    void linearScheduleWarmsUpThenDecaysToZero() {
        LinearSchedule s = new LinearSchedule(1e-3, 10, 110);
        assertEquals(0.0, s.learningRate(0)); // transformers: the first update of a warm-up has lr 0
        assertEquals(5e-4, s.learningRate(5), 1e-15);
        assertEquals(1e-3, s.learningRate(10), 1e-15);
        assertEquals(5e-4, s.learningRate(60), 1e-15);
        assertEquals(1e-5, s.learningRate(109), 1e-15);
        assertEquals(0.0, s.learningRate(110));
        assertEquals(1e-3, new LinearSchedule(1e-3, 0, 4).learningRate(0), 1e-15);
    }

    @Test
    void globalNormClippingScalesAllGradientsTogether() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter a = parameter(m, "a", 0.0, 0.0);
            Parameter b = parameter(m, "b", 0.0);
            setGradient(a, 3.0, 0.0);
            setGradient(b, 4.0);
            List<Parameter> both = List.of(a, b);
            double norm = GradientClipping.globalNorm(both);
            assertEquals(5.0, norm, 1e-12);
            GradientClipping.clip(both, norm, 1.0);
            // torch.nn.utils.clip_grad_norm_: factor 1 / (5 + 1e-6)
            assertArrayEquals(new double[] {0.599999880000024, 0.0}, a.getArray().getGradient().toDoubleArray(),
                    1e-12);
            assertArrayEquals(new double[] {0.799999840000032}, b.getArray().getGradient().toDoubleArray(), 1e-12);
            GradientClipping.clip(both, GradientClipping.globalNorm(both), 2.0); // below the limit: unchanged
            assertEquals(1.0, GradientClipping.globalNorm(both), 1e-6);
        }
    }

    @Test
    void lossCountsOnlyShiftedTargetPositions() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {1, 2, 0.5f, 0.1f, 0.2f, 3, 1, 1, 1, 2, 0, -1}, new Shape(1, 4, 3));
            NDArray labels = m.create(new long[] {-100, -100, 2, 0}, new Shape(1, 4));
            // position 1 predicts label 2: log(e^.1 + e^.2 + e^3) − 3; position 2 predicts 0 from equal logits: log 3
            double expected = Math.log(Math.exp(0.1) + Math.exp(0.2) + Math.exp(3)) - 3 + Math.log(3);
            assertEquals(expected, CausalLmLoss.sum(logits, labels).getFloat(), 1e-5);
            assertEquals(1.2082, expected, 1e-4); // torch cross_entropy(ignore_index=-100, reduction='sum')
            // changing a logit at an ignored position (the last one predicts nothing) changes nothing
            NDArray other = logits.duplicate();
            other.set(new NDIndex("0, 3, 0"), 100f);
            other.set(new NDIndex("0, 0, 0"), 100f);
            assertEquals(expected, CausalLmLoss.sum(other, labels).getFloat(), 1e-5);
        }
    }

    @Test
    void theTrainingLossGivesSoftmaxMinusOneHotToTheGraphBelowIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] values = {1, 2, 0.5f, 0.1f, 0.2f, 3, 1, 1, 1, 2, 0, -1};
            NDArray leaf = m.create(values, new Shape(1, 4, 3));
            leaf.setRequiresGradient(true);
            NDArray labels = m.create(new long[] {-100, -100, 2, 0}, new Shape(1, 4));
            double loss;
            try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                NDArray logits = leaf.mul(2); // a graph below the logits: the gradient must flow through it
                loss = CausalLmLoss.sumAndBackward(logits, labels, 0.25);
            }
            double e1 = Math.exp(0.2) + Math.exp(0.4) + Math.exp(6); // position 1 (logits 2·(.1, .2, 3)) → label 2
            double expectedLoss = Math.log(e1) - 6 + Math.log(3); // position 2: equal logits → label 0
            assertEquals(expectedLoss, loss, 1e-5);
            // d(0.25·loss)/d leaf = 0.25 · 2 · (softmax − one-hot) at positions 1 and 2, zero at 0 and 3
            double[] expected = new double[12];
            double[] p1 = {Math.exp(0.2) / e1, Math.exp(0.4) / e1, Math.exp(6) / e1 - 1};
            double[] p2 = {1 / 3.0 - 1, 1 / 3.0, 1 / 3.0};
            for (int c = 0; c < 3; c++) {
                expected[3 + c] = 0.5 * p1[c];
                expected[6 + c] = 0.5 * p2[c];
            }
            float[] gradient = leaf.getGradient().toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], gradient[i], 1e-6, "gradient " + i);
            }
        }
    }

    /**
     * Label smoothing ε = 0.1 against float64 by hand: per counted position (1 − ε)·(lse − z[label]) + ε·(lse −
     * mean z), i.e. torch's cross_entropy(label_smoothing=ε, reduction='sum').
     */
    @Test
    void smoothedLossIsTheMixtureOfTheTargetAndTheUniformCrossEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {1, 2, 0.5f, 0.1f, 0.2f, 3, 1, 1, 1, 2, 0, -1}, new Shape(1, 4, 3));
            NDArray labels = m.create(new long[] {-100, -100, 2, 0}, new Shape(1, 4));
            double eps = 0.1;
            double lse1 = Math.log(Math.exp(0.1) + Math.exp(0.2) + Math.exp(3));
            double position1 = (1 - eps) * (lse1 - 3) + eps * (lse1 - (0.1 + 0.2 + 3) / 3);
            double position2 = Math.log(3); // equal logits: every class has −log p = log 3
            double expected = position1 + position2;
            assertEquals(1.2082 + eps * (3 - 1.1), expected, 1e-4); // the plain loss + ε·(z[label] − mean z)
            assertEquals(expected, CausalLmLoss.sum(logits, labels, eps).getFloat(), 1e-5);
            double smoothedLoss;
            NDArray leaf = logits.duplicate();
            leaf.setRequiresGradient(true);
            try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                smoothedLoss = CausalLmLoss.sumAndBackward(leaf, labels, eps, 1.0);
            }
            assertEquals(expected, smoothedLoss, 1e-5);
            // closed form: softmax − ((1 − ε)·one-hot + ε/V) at the counted positions, zero elsewhere
            double[] p1 = {Math.exp(0.1 - lse1), Math.exp(0.2 - lse1), Math.exp(3 - lse1)};
            double[] want = new double[12];
            for (int c = 0; c < 3; c++) {
                want[3 + c] = p1[c] - eps / 3 - (c == 2 ? 1 - eps : 0);
                want[6 + c] = 1 / 3.0 - eps / 3 - (c == 0 ? 1 - eps : 0);
            }
            float[] gradient = leaf.getGradient().toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], gradient[i], 1e-6, "gradient " + i);
            }
        }
    }

    /**
     * The closed-form smoothed gradient equals autograd of the same formula ({@link CausalLmLoss#sum(NDArray,
     * NDArray, double)}) on random logits with ignored positions inside and at the end of the rows; ε = 0 gives the
     * plain loss and gradient bit for bit.
     */
    @Test
    void smoothedClosedFormGradientMatchesAutogradWithIgnoredPositions() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            NDArray values = m.randomNormal(new Shape(2, 5, 7)).mul(2);
            NDArray labels = m.create(new long[] {-100, 3, -100, 6, 0, 1, 2, 2, -100, -100}, new Shape(2, 5));
            double eps = 0.2;
            double factor = 0.25;
            NDArray viaAutograd = values.duplicate();
            viaAutograd.setRequiresGradient(true);
            double autogradLoss;
            try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                NDArray loss = CausalLmLoss.sum(viaAutograd, labels, eps);
                autogradLoss = loss.getFloat();
                recording.backward(loss.mul(Scalars.like(loss, factor)));
            }
            NDArray closedForm = values.duplicate();
            closedForm.setRequiresGradient(true);
            double closedLoss;
            try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                closedLoss = CausalLmLoss.sumAndBackward(closedForm, labels, eps, factor);
            }
            assertEquals(autogradLoss, closedLoss, 1e-5 * Math.abs(autogradLoss));
            float[] expected = viaAutograd.getGradient().toFloatArray();
            float[] actual = closedForm.getGradient().toFloatArray();
            int zeros = 0;
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-6, "gradient " + i);
                zeros += actual[i] == 0 ? 1 : 0;
            }
            // positions 1, 4 of the first example (next label −100, or the last position) and 2, 3, 4 of the second
            assertEquals(5 * 7, zeros);

            NDArray plain = values.duplicate();
            plain.setRequiresGradient(true);
            NDArray zeroSmoothed = values.duplicate();
            zeroSmoothed.setRequiresGradient(true);
            double plainLoss;
            double zeroLoss;
            try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                plainLoss = CausalLmLoss.sumAndBackward(plain, labels, factor);
                zeroLoss = CausalLmLoss.sumAndBackward(zeroSmoothed, labels, 0, factor);
            }
            assertEquals(plainLoss, zeroLoss);
            assertArrayEquals(plain.getGradient().toFloatArray(), zeroSmoothed.getGradient().toFloatArray());
            assertTrue(Math.abs(plainLoss - closedLoss) > 1e-3, "smoothing changes the loss");
        }
    }

    @Test
    void lossScalerBacksOffOnOverflowAndGrowsAfterInterval() {
        LossScaler s = LossScaler.dynamic(1024, 2, 0.5, 3);
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertEquals(1024, s.scale());
        assertTrue(s.update(true));
        assertEquals(2048, s.scale()); // third good step in a row
        assertFalse(s.update(false));
        assertEquals(1024, s.scale());
        assertEquals(1, s.skipped());
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertEquals(1024, s.scale()); // the overflow reset the count
        assertTrue(s.update(true));
        assertEquals(2048, s.scale());
        LossScaler off = LossScaler.disabled();
        assertFalse(off.update(false));
        assertEquals(1, off.scale());
        assertEquals(1, off.skipped());
    }

    @Test
    void zeroClearsNonFiniteGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m, "p", 1.0, 2.0);
            setGradient(p, Double.NaN, Double.POSITIVE_INFINITY);
            assertFalse(Double.isFinite(GradientClipping.globalNorm(List.of(p))));
            GradientClipping.zero(List.of(p));
            assertArrayEquals(new double[] {0, 0}, p.getArray().getGradient().toDoubleArray());
        }
    }
}
