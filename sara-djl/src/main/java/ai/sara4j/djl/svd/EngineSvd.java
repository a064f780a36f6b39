package ai.sara4j.djl.svd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.sara4j.djl.engine.TorchScriptModule;
import java.util.List;

/**
 * Singular values and truncated SVD computed by the PyTorch engine on the device of the input (CPU or CUDA),
 * batched over leading dimensions. DJL exposes no SVD, so this goes through a small TorchScript module
 * ({@link TorchScriptModule}) calling {@code torch.linalg.svdvals}, {@code torch.linalg.svd} and
 * {@code torch.linalg.eigvalsh}.
 *
 * <p>Computation happens in the input's dtype; FP16 input is widened to FP32 (LAPACK/cuSOLVER have no half
 * kernels). For the rank rule, pass float64 matrices to reproduce a float64 reference exactly.
 */
public final class EngineSvd implements AutoCloseable {
    /** How singular values are obtained. */
    public enum Algorithm {
        /** {@code torch.linalg.svdvals}: a full bidiagonalisation (LAPACK gesdd / cuSOLVER gesvd). */
        SVD,
        /**
         * Square roots of the eigenvalues of the Gram matrix A·Aᵀ (the smaller side) by {@code eigvalsh}: much
         * faster on GPUs, exact enough in float64 (absolute error about ε·σ₁ per value).
         */
        GRAM;

        /**
         * Parses a command-line value.
         *
         * @param option the option's name, for the error message (e.g. {@code --svd-algorithm})
         * @param value {@code svd} or {@code gram}, any case
         * @return the algorithm
         * @throws IllegalArgumentException naming {@code option} for any other value
         */
        public static Algorithm parse(String option, String value) {
            for (Algorithm a : values()) {
                if (a.name().equalsIgnoreCase(value)) {
                    return a;
                }
            }
            throw new IllegalArgumentException(option + " must be svd or gram, not '" + value + "'");
        }
    }

    /**
     * Top-k factors of a thin SVD, attached to the input's manager; closing the record closes all three.
     *
     * @param u the left singular vectors, shape [..., m, k]
     * @param s the singular values, shape [..., k], descending
     * @param vt the right singular vectors, transposed, shape [..., k, n]
     */
    public record Truncated(NDArray u, NDArray s, NDArray vt) implements AutoCloseable {
        /**
         * The best rank-k approximation of the decomposed matrices (Eckart–Young).
         *
         * @return u·diag(s)·vt, shape [..., m, n], a new array in {@code u}'s manager
         */
        public NDArray reconstruct() {
            return u.mul(s.expandDims(-2)).matMul(vt);
        }

        @Override
        public void close() {
            u.close();
            s.close();
            vt.close();
        }
    }

    private static final String CODE = ""
            + "  def forward(self: __torch__.Svd,\n"
            + "    x: Tensor) -> Tensor:\n"
            + "    return torch.linalg_svdvals(x)\n"
            + "  def gram_svdvals(self: __torch__.Svd,\n"
            + "    x: Tensor) -> Tensor:\n"
            + "    m = torch.size(x, -2)\n"
            + "    n = torch.size(x, -1)\n"
            + "    if torch.le(m, n):\n"
            + "      g = torch.matmul(x, torch.transpose(x, -1, -2))\n"
            + "    else:\n"
            + "      g = torch.matmul(torch.transpose(x, -1, -2), x)\n"
            + "    e = torch.linalg_eigvalsh(g)\n"
            + "    return torch.sqrt(torch.clamp(torch.flip(e, [-1]), 0.))\n"
            + "  def svd(self: __torch__.Svd,\n"
            + "    x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:\n"
            + "    _0, _1, _2 = torch.linalg_svd(x, False)\n"
            + "    return (_0, _1, _2)\n";

    private final TorchScriptModule module;

    private EngineSvd(TorchScriptModule module) {
        this.module = module;
    }

    /**
     * Loads the SVD module into a sub-manager of {@code manager}.
     *
     * @param manager a PyTorch manager; the module lives in a sub-manager of it
     * @return the SVD; close it when done
     * @throws IllegalArgumentException when {@code manager} is not a PyTorch manager
     */
    public static EngineSvd create(NDManager manager) {
        return new EngineSvd(TorchScriptModule.compile(manager, "Svd", CODE));
    }

    /**
     * Singular values by {@link Algorithm#SVD}.
     *
     * @param matrices a matrix or batch of matrices, shape [..., m, n], FP16, FP32 or FP64
     * @return the singular values, shape [..., min(m, n)], descending, in the input's dtype (FP32 for FP16 input),
     *     attached to the input's manager
     * @throws IllegalArgumentException for fewer than 2 dimensions or a non-floating dtype
     */
    public NDArray singularValues(NDArray matrices) {
        return singularValues(matrices, Algorithm.SVD);
    }

    /**
     * Singular values by the chosen algorithm.
     *
     * @param matrices a matrix or batch of matrices, shape [..., m, n], FP16, FP32 or FP64
     * @param algorithm {@link Algorithm#SVD} or the faster {@link Algorithm#GRAM}
     * @return the singular values, shape [..., min(m, n)], descending, in the input's dtype (FP32 for FP16 input),
     *     attached to the input's manager
     * @throws IllegalArgumentException for fewer than 2 dimensions or a non-floating dtype
     */
    public NDArray singularValues(NDArray matrices, Algorithm algorithm) {
        checkMatrices(matrices);
        NDArray x = widened(matrices);
        try {
            return module.run(algorithm == Algorithm.SVD ? "forward" : "gram_svdvals", x).get(0);
        } finally {
            if (x != matrices) {
                x.close();
            }
        }
    }

    /**
     * The top-{@code k} singular triplets of {@code matrices} [..., m, n]. Computes the thin SVD and keeps the
     * leading k columns/rows, so it is exact (not randomised).
     *
     * @param matrices a matrix or batch of matrices, shape [..., m, n], FP16, FP32 or FP64
     * @param k the number of triplets to keep, 1 ≤ k ≤ min(m, n)
     * @return the factors, in the input's dtype (FP32 for FP16 input); the caller closes them
     * @throws IllegalArgumentException for k out of range, fewer than 2 dimensions or a non-floating dtype
     */
    public Truncated truncated(NDArray matrices, int k) {
        checkMatrices(matrices);
        long[] shape = matrices.getShape().getShape();
        long min = Math.min(shape[shape.length - 1], shape[shape.length - 2]);
        if (k < 1 || k > min) {
            throw new IllegalArgumentException("rank k=" + k + " must be in [1, " + min + "] for a matrix of shape "
                    + matrices.getShape());
        }
        NDArray x = widened(matrices);
        List<NDArray> usv = module.run("svd", x);
        if (x != matrices) {
            x.close();
        }
        try (NDArray u = usv.get(0);
                NDArray s = usv.get(1);
                NDArray vt = usv.get(2)) {
            return new Truncated(
                    u.get(new NDIndex("..., :" + k)),
                    s.get(new NDIndex("..., :" + k)),
                    vt.get(new NDIndex("..., :" + k + ", :")));
        }
    }

    private static void checkMatrices(NDArray matrices) {
        if (matrices.getShape().dimension() < 2) {
            throw new IllegalArgumentException("SVD needs a matrix or a batch of matrices, got shape "
                    + matrices.getShape());
        }
    }

    /** The input itself, or a FP32 copy of FP16 input (no half-precision SVD kernels exist). */
    private static NDArray widened(NDArray x) {
        DataType t = x.getDataType();
        if (t == DataType.FLOAT16) {
            return x.toType(DataType.FLOAT32, true);
        }
        if (t != DataType.FLOAT32 && t != DataType.FLOAT64) {
            throw new IllegalArgumentException("SVD needs a floating-point matrix, got " + t);
        }
        return x;
    }

    @Override
    public void close() {
        module.close();
    }
}
