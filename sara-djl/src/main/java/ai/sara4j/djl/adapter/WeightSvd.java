package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;

/**
 * The SVD of a weight matrix as the adapters need it: singular values for the rank rule, the top-k singular vectors
 * for Mo-SARA. W (out×in) = P·diag(σ)·Qᵀ with σ descending.
 */
public interface WeightSvd {
    /** The top-k factors: {@code p} out×k, {@code sigma} k, {@code q} in×k (Q_k, not transposed). */
    record Truncated(double[][] p, double[] sigma, double[][] q) {}

    /** All min(out, in) singular values of {@code weight} (out×in), descending. */
    double[] singularValues(NDArray weight);

    /** The top-{@code k} singular triplets of {@code weight} (out×in). */
    Truncated truncated(NDArray weight, int k);

    /** The default implementation. */
    static WeightSvd standard() {
        return JacobiSvd.INSTANCE;
    }
}
