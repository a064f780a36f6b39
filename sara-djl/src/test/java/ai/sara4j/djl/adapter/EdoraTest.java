package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.edora.EdoraConfig;
import ai.sara4j.djl.adapter.edora.EdoraLayer;
import ai.sara4j.djl.engine.PackedDropout;
import ai.sara4j.djl.model.CausalLM;
import ai.sara4j.djl.model.ModelLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EDoRA: initialisation from the SVD, the expanded row norm against the direct one, gradients against float64 finite
 * differences of the formula with the norm held constant, exact merge, and PEFT DoRA interop.
 */
class EdoraTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");
    private static final int IN = 12;
    private static final int OUT = 7;
    private static final int R = 3;
    private static final double S = 5.0 / R;

    /** One Linear (IN→OUT, with bias) at path {@code proj} with an EDoRA adapter whose tensors are all random. */
    private static EdoraLayer singleLayer(NDManager manager) {
        return singleLayer(manager, 0);
    }

    private static EdoraLayer singleLayer(NDManager manager, double dropout) {
        TestNets.Chain root = new TestNets.Chain().add("proj", Linear.builder().setUnits(OUT).build());
        root.initialize(manager, DataType.FLOAT64, new Shape(1, IN));
        Random random = new Random(3);
        root.getParameters().values().forEach(p -> p.getArray().set(gaussian(random, p.getArray().size(), 0.4)));
        AdaptedModel adapter = Adapters.inject(root,
                EdoraConfig.of(TargetMatcher.names("proj")).withRank(R, 5).withDropout(dropout));
        TestNets.randomise(adapter, 4);
        EdoraLayer layer = (EdoraLayer) adapter.layers().get("proj");
        layer.tensors().get("edora_magnitude").getArray().set(gaussian(random, OUT, 1)); // any sign
        return layer;
    }

    private static double[] gaussian(Random random, long n, double scale) {
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian() * scale;
        }
        return v;
    }

    /** W0 + s·B·R·A in float64 on the heap, row-major out×in. */
    private static double[] direction(double[] w0, double[] a, double[] b, double[] r) {
        double[] v = w0.clone();
        for (int o = 0; o < OUT; o++) {
            for (int i = 0; i < IN; i++) {
                for (int p = 0; p < R; p++) {
                    for (int q = 0; q < R; q++) {
                        v[o * IN + i] += S * b[o * R + p] * r[p * R + q] * a[q * IN + i];
                    }
                }
            }
        }
        return v;
    }

    private static double[] rowNorms(double[] v) {
        double[] n = new double[OUT];
        for (int o = 0; o < OUT; o++) {
            for (int i = 0; i < IN; i++) {
                n[o] += v[o * IN + i] * v[o * IN + i];
            }
            n[o] = Math.sqrt(n[o]);
        }
        return n;
    }

    /** Σ probe ⊙ (x·W'ᵀ + bias) with W' = (m/n) ⊙ (W0 + s·B·R·A) for the given, fixed n. */
    private static double loss(double[] x, double[] probe, double[] w0, double[] bias, double[] a, double[] b,
            double[] r, double[] m, double[] n) {
        double[] v = direction(w0, a, b, r);
        double total = 0;
        for (int t = 0; t < x.length / IN; t++) {
            for (int o = 0; o < OUT; o++) {
                double y = bias[o];
                for (int i = 0; i < IN; i++) {
                    y += x[t * IN + i] * m[o] / n[o] * v[o * IN + i];
                }
                total += probe[t * OUT + o] * y;
            }
        }
        return total;
    }

    @Test
    void expandedRowNormEqualsTheDirectForm() {
        try (NDManager manager = NDManager.newBaseManager()) {
            EdoraLayer layer = singleLayer(manager);
            double[] direct = rowNorms(direction(layer.baseWeight().getArray().toDoubleArray(), tensor(layer, "edora_A"),
                    tensor(layer, "edora_B"), tensor(layer, "edora_R")));
            assertArrayEquals(direct, layer.rowNorm().toDoubleArray(), 1e-12);
        }
    }

    /**
     * Autograd gradients of R and m equal central finite differences of the float64 formula with n held at its
     * current value (DoRA's detached norm), which also reproduces the layer's forward pass.
     */
    @Test
    void gradientsMatchFiniteDifferencesWithTheNormHeldConstant() {
        try (NDManager manager = NDManager.newBaseManager()) {
            EdoraLayer layer = singleLayer(manager);
            NDArray x = manager.create(gaussian(new Random(5), 4 * IN, 1), new Shape(4, IN));
            NDArray probe = manager.create(gaussian(new Random(6), 4 * OUT, 1), new Shape(4, OUT));
            double[] w0 = layer.baseWeight().getArray().toDoubleArray();
            double[] bias = layer.base().getParameters().get("bias").getArray().toDoubleArray();
            double[] a = tensor(layer, "edora_A");
            double[] b = tensor(layer, "edora_B");
            double[] r = tensor(layer, "edora_R");
            double[] m = tensor(layer, "edora_magnitude");
            double[] n = rowNorms(direction(w0, a, b, r));
            double[] xs = x.toDoubleArray();
            double[] ps = probe.toDoubleArray();

            NDArray javaLoss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                javaLoss = TestNets.forward(layer, x, true).mul(probe).sum();
                collector.backward(javaLoss);
            }
            assertEquals(loss(xs, ps, w0, bias, a, b, r, m, n), javaLoss.getDouble(), 1e-10);
            double[] gradR = layer.tensors().get("edora_R").getArray().getGradient().toDoubleArray();
            double[] gradM = layer.tensors().get("edora_magnitude").getArray().getGradient().toDoubleArray();
            double h = 1e-6;
            for (int i = 0; i < r.length; i++) {
                double[] up = r.clone();
                double[] down = r.clone();
                up[i] += h;
                down[i] -= h;
                double numeric = (loss(xs, ps, w0, bias, a, b, up, m, n) - loss(xs, ps, w0, bias, a, b, down, m, n))
                        / (2 * h);
                assertEquals(numeric, gradR[i], 1e-7 * Math.max(1, Math.abs(numeric)), "R[" + i + "]");
            }
            for (int i = 0; i < m.length; i++) {
                double[] up = m.clone();
                double[] down = m.clone();
                up[i] += h;
                down[i] -= h;
                double numeric = (loss(xs, ps, w0, bias, a, b, r, up, n) - loss(xs, ps, w0, bias, a, b, r, down, n))
                        / (2 * h);
                assertEquals(numeric, gradM[i], 1e-7 * Math.max(1, Math.abs(numeric)), "m[" + i + "]");
            }
            assertTrue(!layer.tensors().get("edora_A").requiresGradient() && !layer.tensors().get("edora_B")
                    .requiresGradient(), "A and B are frozen");
        }
    }

    /**
     * Without dropout the layer reuses the base output (the test above, whose Linear has a bias); with dropout the
     * base product of the update is taken of the dropped-out input, as in PEFT's DoRA: y = x·W0ᵀ + b + x_d·(W' − W0)ᵀ.
     * The mask is reproduced by drawing it with the same engine seed before the forward pass.
     */
    @Test
    void withDropoutTheUpdateUsesTheDroppedOutInput() {
        try (NDManager manager = NDManager.newBaseManager()) {
            EdoraLayer layer = singleLayer(manager, 0.5);
            NDArray x = manager.create(gaussian(new Random(5), 4 * IN, 1), new Shape(4, IN));
            Engine.getInstance().setRandomSeed(9);
            double[] dropped = PackedDropout.apply(x, 0.5).toDoubleArray();
            Engine.getInstance().setRandomSeed(9);
            double[] y = TestNets.forward(layer, x, true).toDoubleArray();
            double[] xs = x.toDoubleArray();
            double[] w0 = layer.baseWeight().getArray().toDoubleArray();
            double[] bias = layer.base().getParameters().get("bias").getArray().toDoubleArray();
            double[] m = tensor(layer, "edora_magnitude");
            double[] v = direction(w0, tensor(layer, "edora_A"), tensor(layer, "edora_B"), tensor(layer, "edora_R"));
            double[] n = rowNorms(v);
            assertTrue(Arrays.stream(dropped).anyMatch(d -> d == 0), "some inputs dropped");
            for (int t = 0; t < 4; t++) {
                for (int o = 0; o < OUT; o++) {
                    double expected = bias[o];
                    for (int i = 0; i < IN; i++) {
                        expected += xs[t * IN + i] * w0[o * IN + i]
                                + dropped[t * IN + i] * (m[o] / n[o] * v[o * IN + i] - w0[o * IN + i]);
                    }
                    assertEquals(expected, y[t * OUT + o], 1e-10, "y[" + t + ", " + o + "]");
                }
            }
        }
    }

    /**
     * B·A is the best rank-r approximation of W0: B has orthonormal columns, A = Bᵀ·W0 (so B·A projects W0 onto
     * span(B)), A·Aᵀ = diag(σ²) descending, and the residual's largest singular value (float64 power iteration) is
     * at most the smallest kept σ, which holds only for the top-r singular subspace. m = ‖W0‖_row and R is tiny.
     */
    @Test
    void initialisationComesFromTheTruncatedSvd() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT64, 1);
            AdaptedModel adapter = Adapters.inject(model, EdoraConfig.of(QV).withRank(R, 5));
            for (AdapterLayer layer : adapter.layers().values()) {
                NDArray w0 = layer.baseWeight().getArray();
                NDArray a = layer.tensors().get("edora_A").getArray();
                NDArray b = layer.tensors().get("edora_B").getArray();
                assertArrayEquals(manager.eye(R, R, 0, DataType.FLOAT64).toDoubleArray(),
                        b.transpose().matMul(b).toDoubleArray(), 1e-12);
                assertArrayEquals(b.transpose().matMul(w0).toDoubleArray(), a.toDoubleArray(), 1e-12);
                double[] gram = a.matMul(a.transpose()).toDoubleArray();
                for (int i = 0; i < R; i++) {
                    for (int j = 0; j < R; j++) {
                        if (i != j) {
                            assertEquals(0, gram[i * R + j], 1e-12, "A·Aᵀ off-diagonal");
                        }
                    }
                    assertTrue(i == 0 || gram[i * R + i] <= gram[(i - 1) * R + i - 1] + 1e-12, "σ descending");
                }
                double smallestKept = gram[R * R - 1];
                double residualTop = largestSquaredSingularValue(w0.sub(b.matMul(a)));
                assertTrue(residualTop <= smallestKept + 1e-10,
                        "residual σ² " + residualTop + " > kept σ_r² " + smallestKept);
                assertArrayEquals(w0.norm(new int[] {1}).toDoubleArray(),
                        layer.tensors().get("edora_magnitude").getArray().toDoubleArray(), 1e-12);
                double maxR = 0;
                for (double v : layer.tensors().get("edora_R").getArray().toDoubleArray()) {
                    maxR = Math.max(maxR, Math.abs(v));
                }
                assertTrue(maxR > 0 && maxR < 1e-4, "R ~ N(0, 1e-5²): max |R| = " + maxR);
            }
            assertEquals(2 * adapter.layers().size(), adapter.trainableParameters().size()); // R and m only
        }
    }

    /** The largest eigenvalue of M·Mᵀ by power iteration on the heap, in float64. */
    private static double largestSquaredSingularValue(NDArray matrix) {
        int rows = Math.toIntExact(matrix.getShape().get(0));
        double[] gram = matrix.matMul(matrix.transpose()).toDoubleArray();
        double[] v = new double[rows];
        java.util.Arrays.fill(v, 1);
        double lambda = 0;
        for (int it = 0; it < 2000; it++) {
            double[] next = new double[rows];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < rows; j++) {
                    next[i] += gram[i * rows + j] * v[j];
                }
            }
            double norm = 0;
            for (double x : next) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < rows; i++) {
                v[i] = next[i] / norm;
            }
            lambda = norm;
        }
        return lambda;
    }

    @Test
    void mergeIsExactAndUnmergeRestoresTheBase() {
        try (NDManager manager = NDManager.newBaseManager()) {
            EdoraLayer layer = singleLayer(manager);
            NDArray x = manager.create(gaussian(new Random(5), 4 * IN, 1), new Shape(4, IN));
            double[] before = TestNets.forward(layer, x, false).toDoubleArray();
            double[] w0 = layer.baseWeight().getArray().toDoubleArray();
            layer.merge();
            assertArrayEquals(before, TestNets.forward(layer, x, false).toDoubleArray(), 1e-12);
            // merged weight is W' = (m/n) ⊙ V with the direct n
            double[] v = direction(w0, tensor(layer, "edora_A"), tensor(layer, "edora_B"), tensor(layer, "edora_R"));
            double[] n = rowNorms(v);
            double[] m = tensor(layer, "edora_magnitude");
            double[] merged = layer.baseWeight().getArray().toDoubleArray();
            for (int o = 0; o < OUT; o++) {
                for (int i = 0; i < IN; i++) {
                    assertEquals(m[o] / n[o] * v[o * IN + i], merged[o * IN + i], 1e-12);
                }
            }
            layer.unmerge();
            assertArrayEquals(w0, layer.baseWeight().getArray().toDoubleArray(), 1e-12);
        }
    }

    /**
     * EDoRA with the fixture's tensors reproduces PEFT DoRA's logits; its export is PEFT's DoRA folder (same tensors,
     * use_dora); the merged checkpoint and its own save/load keep the logits.
     */
    @Test
    void doraExportReproducesPeftLogits(@TempDir Path tmp) throws Exception {
        Path fixture = PeftFixtures.folder("edora");
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile factors = SafetensorsFile.open(fixture.resolve("edora_factors.safetensors"))) {
            CausalLM model = ModelLoader.load(SharedData.tinyStories(), manager);
            AdaptedModel edora = Adapters.inject(model, EdoraConfig.of(QV).withRank(4, 8));
            PeftFixtures.fill(edora, factors);
            PeftFixtures.assertLogits(manager, model, fixture);

            Path exported = tmp.resolve("export");
            edora.exportPeft(exported, "tinystories-656k");
            PeftFixtures.assertSameTensors(fixture, exported);
            PeftConfig ours = PeftConfig.read(exported);
            assertTrue(ours.useDora());
            assertEquals(PeftConfig.read(fixture).rankPattern(), ours.rankPattern());
            assertEquals(PeftConfig.read(fixture).alphaPattern(), ours.alphaPattern());

            MergedCheckpointWriter.write(SharedData.tinyStories(), edora, tmp.resolve("merged"));
            PeftFixtures.assertLogits(manager, ModelLoader.load(tmp.resolve("merged"), manager), fixture);

            edora.save(tmp.resolve("edora"));
            CausalLM fresh = ModelLoader.load(SharedData.tinyStories(), manager);
            Adapters.load(fresh, tmp.resolve("edora"));
            PeftFixtures.assertLogits(manager, fresh, fixture);
        }
    }

    private static double[] tensor(AdapterLayer layer, String name) {
        return layer.tensors().get(name).getArray().toDoubleArray();
    }
}
