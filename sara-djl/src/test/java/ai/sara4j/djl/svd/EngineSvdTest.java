package ai.sara4j.djl.svd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the engine SVD on matrices with a known spectrum: A = U·diag(s)·Vᵀ with U, V random orthonormal
 * (Gram–Schmidt in float64, in Java), so the expected singular values are s exactly.
 */
class EngineSvdTest {
    private static NDManager manager;
    private static EngineSvd svd;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        svd = EngineSvd.create(manager);
    }

    @AfterAll
    static void tearDown() {
        svd.close();
        manager.close();
    }

    /** m×r matrix with orthonormal columns, row-major. */
    static double[][] orthonormalColumns(int m, int r, Random rnd) {
        double[][] q = new double[r][m];
        for (int j = 0; j < r; j++) {
            for (int i = 0; i < m; i++) {
                q[j][i] = rnd.nextGaussian();
            }
            for (int pass = 0; pass < 2; pass++) { // twice is enough for float64 orthogonality
                for (int p = 0; p < j; p++) {
                    double dot = 0;
                    for (int i = 0; i < m; i++) {
                        dot += q[j][i] * q[p][i];
                    }
                    for (int i = 0; i < m; i++) {
                        q[j][i] -= dot * q[p][i];
                    }
                }
            }
            double norm = 0;
            for (int i = 0; i < m; i++) {
                norm += q[j][i] * q[j][i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < m; i++) {
                q[j][i] /= norm;
            }
        }
        return q; // q[j] is column j
    }

    /** A = U·diag(s)·Vᵀ as a row-major m×n array. */
    static double[] withSpectrum(int m, int n, double[] s, Random rnd) {
        double[][] u = orthonormalColumns(m, s.length, rnd);
        double[][] v = orthonormalColumns(n, s.length, rnd);
        double[] a = new double[m * n];
        for (int j = 0; j < s.length; j++) {
            for (int i = 0; i < m; i++) {
                double us = u[j][i] * s[j];
                for (int c = 0; c < n; c++) {
                    a[i * n + c] += us * v[j][c];
                }
            }
        }
        return a;
    }

    static double[] decaying(int count, double rate) {
        double[] s = new double[count];
        for (int i = 0; i < count; i++) {
            s[i] = 10.0 * Math.exp(-rate * i);
        }
        return s;
    }

    static void assertRelative(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * expected[0], "singular value " + i);
        }
    }

    @Test
    void singularValuesMatchKnownSpectrumInFloat32AndFloat64() {
        Random rnd = new Random(1);
        double[] s = decaying(40, 0.1);
        double[] a = withSpectrum(64, 40, s, rnd);
        for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(a, new Shape(64, 40)).toType(type, false);
                NDArray sv = svd.singularValues(x);
                assertEquals(new Shape(40), sv.getShape());
                assertRelative(s, sv.toType(DataType.FLOAT64, false).toDoubleArray(), 1e-4);
            }
        }
    }

    @Test
    void gramAlgorithmAgreesInFloat64ForWideAndTallMatrices() {
        Random rnd = new Random(2);
        double[] s = decaying(24, 0.2);
        for (int[] mn : new int[][] {{24, 50}, {50, 24}}) {
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(withSpectrum(mn[0], mn[1], s, rnd), new Shape(mn[0], mn[1]));
                assertRelative(s, svd.singularValues(x, EngineSvd.Algorithm.GRAM).toDoubleArray(), 1e-7);
            }
        }
    }

    @Test
    void batchedOverLeadingDimensions() {
        Random rnd = new Random(3);
        double[] s1 = decaying(16, 0.3);
        double[] s2 = decaying(16, 0.05);
        double[] batch = new double[2 * 16 * 20];
        System.arraycopy(withSpectrum(16, 20, s1, rnd), 0, batch, 0, 320);
        System.arraycopy(withSpectrum(16, 20, s2, rnd), 0, batch, 320, 320);
        try (NDManager m = manager.newSubManager()) {
            NDArray sv = svd.singularValues(m.create(batch, new Shape(2, 16, 20)));
            assertEquals(new Shape(2, 16), sv.getShape());
            double[] all = sv.toDoubleArray();
            assertRelative(s1, java.util.Arrays.copyOfRange(all, 0, 16), 1e-10);
            assertRelative(s2, java.util.Arrays.copyOfRange(all, 16, 32), 1e-10);
        }
    }

    @Test
    void truncatedFactorsReconstructWithEckartYoungError() {
        Random rnd = new Random(4);
        double[] s = decaying(30, 0.15);
        int k = 7;
        double tail = 0;
        for (int i = k; i < s.length; i++) {
            tail += s[i] * s[i];
        }
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(withSpectrum(48, 30, s, rnd), new Shape(48, 30));
            try (EngineSvd.Truncated t = svd.truncated(a, k)) {
                assertEquals(new Shape(48, k), t.u().getShape());
                assertEquals(new Shape(k), t.s().getShape());
                assertEquals(new Shape(k, 30), t.vt().getShape());
                assertRelative(java.util.Arrays.copyOf(s, k), t.s().toDoubleArray(), 1e-10);
                double err = a.sub(t.reconstruct()).square().sum().getDouble();
                assertEquals(Math.sqrt(tail), Math.sqrt(err), 1e-9);
                // orthonormal factors
                NDArray utu = t.u().transpose().matMul(t.u());
                assertArrayEquals(m.eye(k, k, 0, DataType.FLOAT64).toDoubleArray(), utu.toDoubleArray(), 1e-10);
            }
        }
    }

    @Test
    void float16InputIsWidened() {
        Random rnd = new Random(5);
        double[] s = decaying(8, 0.3);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(withSpectrum(8, 12, s, rnd), new Shape(8, 12)).toType(DataType.FLOAT16, false);
            NDArray sv = svd.singularValues(x);
            assertEquals(DataType.FLOAT32, sv.getDataType());
            assertRelative(s, sv.toType(DataType.FLOAT64, false).toDoubleArray(), 2e-3);
        }
    }

    @Test
    void rejectsBadInput() {
        try (NDManager m = manager.newSubManager()) {
            assertThrows(IllegalArgumentException.class, () -> svd.singularValues(m.ones(new Shape(5))));
            assertThrows(IllegalArgumentException.class, () -> svd.truncated(m.ones(new Shape(3, 4)), 4));
            assertThrows(IllegalArgumentException.class,
                    () -> svd.singularValues(m.ones(new Shape(3, 4), DataType.INT32)));
        }
    }
}
