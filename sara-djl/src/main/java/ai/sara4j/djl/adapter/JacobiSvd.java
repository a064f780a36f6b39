package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * One-sided Jacobi SVD (Hestenes) in float64 on the Java heap. A stop-gap until the engine SVD
 * ({@code ai.sara4j.djl.svd.EngineSvd}) is wired in as {@link WeightSvd#standard()}: accurate, but O(n³) per sweep
 * on the CPU, so fine for tests and small models only.
 */
final class JacobiSvd implements WeightSvd {
    static final JacobiSvd INSTANCE = new JacobiSvd();
    private static final int MAX_SWEEPS = 60;
    private static final double EPS = 1e-15;

    private JacobiSvd() {}

    @Override
    public double[] singularValues(NDArray weight) {
        return decompose(weight).sigma();
    }

    @Override
    public Truncated truncated(NDArray weight, int k) {
        Truncated full = decompose(weight);
        if (k < 1 || k > full.sigma().length) {
            throw new IllegalArgumentException("k=" + k + " outside 1.." + full.sigma().length);
        }
        return new Truncated(columns(full.p(), k), Arrays.copyOf(full.sigma(), k), columns(full.q(), k));
    }

    private static double[][] columns(double[][] m, int k) {
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = Arrays.copyOf(m[i], k);
        }
        return out;
    }

    /** Full thin SVD: p out×n, q in×n, n = min(out, in). */
    private static Truncated decompose(NDArray weight) {
        long[] shape = weight.getShape().getShape();
        if (shape.length != 2) {
            throw new IllegalArgumentException("SVD needs a matrix, got shape " + weight.getShape());
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        double[] flat = weight.toType(DataType.FLOAT64, false).toDoubleArray();
        boolean transpose = rows < cols; // orthogonalise the columns of the tall orientation
        int m = transpose ? cols : rows;
        int n = transpose ? rows : cols;
        double[][] a = new double[m][n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                if (transpose) {
                    a[j][i] = flat[i * cols + j];
                } else {
                    a[i][j] = flat[i * cols + j];
                }
            }
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = 0;
                    double beta = 0;
                    double gamma = 0;
                    for (int i = 0; i < m; i++) {
                        alpha += a[i][p] * a[i][p];
                        beta += a[i][q] * a[i][q];
                        gamma += a[i][p] * a[i][q];
                    }
                    if (Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta) || gamma == 0) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    rotate(a, p, q, c, s);
                    rotate(v, p, q, c, s);
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] sigma = new double[n];
        for (int j = 0; j < n; j++) {
            double norm = 0;
            for (int i = 0; i < m; i++) {
                norm += a[i][j] * a[i][j];
            }
            sigma[j] = Math.sqrt(norm);
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(j -> -sigma[j]));
        double[][] left = new double[m][n];
        double[][] right = new double[n][n];
        double[] sorted = new double[n];
        for (int c = 0; c < n; c++) {
            int j = order[c];
            sorted[c] = sigma[j];
            for (int i = 0; i < m; i++) {
                left[i][c] = sigma[j] == 0 ? 0 : a[i][j] / sigma[j];
            }
            for (int i = 0; i < n; i++) {
                right[i][c] = v[i][j];
            }
        }
        // For the transposed orientation Wᵀ = L·Σ·Rᵀ, so W = R·Σ·Lᵀ.
        return transpose ? new Truncated(right, sorted, left) : new Truncated(left, sorted, right);
    }

    private static void rotate(double[][] m, int p, int q, double c, double s) {
        for (double[] row : m) {
            double x = row[p];
            double y = row[q];
            row[p] = c * x - s * y;
            row[q] = s * x + c * y;
        }
    }
}
