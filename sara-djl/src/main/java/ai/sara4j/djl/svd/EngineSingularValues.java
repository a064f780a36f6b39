package ai.sara4j.djl.svd;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.sara4j.core.rank.SingularValueSource;
import ai.sara4j.core.rank.TargetModule;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.TensorSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Singular values of checkpoint weights for the rank planner, computed by {@link EngineSvd} on a device. Weights of
 * equal shape are decomposed together in batches, loaded straight from the memory-mapped checkpoint.
 *
 * <p>Float64 (the default) reproduces a float64 reference SVD to the last few ulps, so the rank rule gives the same
 * k; float32 is faster on GPUs, and may move k by one where a cumulative ratio sits within ~1e-6 of the threshold.
 */
public final class EngineSingularValues implements SingularValueSource {
    private static final Logger LOG = LoggerFactory.getLogger(EngineSingularValues.class);

    private final Device device;
    private final DataType precision;
    private final EngineSvd.Algorithm algorithm;
    private final long batchBytes;

    /**
     * A source computing on {@code device} in the given precision.
     *
     * @param device where to compute
     * @param precision {@link DataType#FLOAT64} or {@link DataType#FLOAT32}
     * @param algorithm SVD or GRAM
     * @param batchBytes at most this many bytes of weights per engine call (at least one matrix is always sent)
     * @throws IllegalArgumentException when {@code precision} is neither float64 nor float32
     */
    public EngineSingularValues(Device device, DataType precision, EngineSvd.Algorithm algorithm, long batchBytes) {
        if (precision != DataType.FLOAT64 && precision != DataType.FLOAT32) {
            throw new IllegalArgumentException("SVD precision must be float64 or float32, not " + precision);
        }
        this.device = device;
        this.precision = precision;
        this.algorithm = algorithm;
        this.batchBytes = batchBytes;
    }

    /**
     * The reference setting: float64 {@link EngineSvd.Algorithm#SVD} on {@code device}, batches of up to 1 GiB.
     *
     * @param device where to compute
     * @return a source whose ranks agree with a float64 NumPy reference
     */
    public static EngineSingularValues exact(Device device) {
        return new EngineSingularValues(device, DataType.FLOAT64, EngineSvd.Algorithm.SVD, 1L << 30);
    }

    @Override
    public Map<String, double[]> singularValues(TensorSource model, List<TargetModule> targets) throws IOException {
        // grouped by the shape as stored: singular values of W and Wᵀ agree, so transposed storage needs no care
        Map<Shape, List<TargetModule>> byShape = new LinkedHashMap<>();
        for (TargetModule t : targets) {
            byShape.computeIfAbsent(new Shape(model.info(t.weight()).shape()), s -> new ArrayList<>()).add(t);
        }
        DType fileType = precision == DataType.FLOAT64 ? DType.F64 : DType.F32;
        Map<String, double[]> out = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager(device);
                EngineSvd svd = EngineSvd.create(manager)) {
            for (Map.Entry<Shape, List<TargetModule>> group : byShape.entrySet()) {
                List<TargetModule> mods = group.getValue();
                long perMatrix = group.getKey().size() * precision.getNumOfBytes();
                int batch = (int) Math.max(1, Math.min(mods.size(), batchBytes / perMatrix));
                for (int from = 0; from < mods.size(); from += batch) {
                    List<TargetModule> chunk = mods.subList(from, Math.min(mods.size(), from + batch));
                    LOG.debug("SVD of {} matrices of shape {}", chunk.size(), group.getKey());
                    try (NDManager step = manager.newSubManager()) {
                        NDList weights = new NDList();
                        for (TargetModule t : chunk) {
                            weights.add(step.create(model.floatBuffer(t.weight(), fileType), group.getKey(),
                                    precision));
                        }
                        NDArray values = svd.singularValues(NDArrays.stack(weights), algorithm)
                                .toType(DataType.FLOAT64, false);
                        int n = (int) values.getShape().get(values.getShape().dimension() - 1);
                        double[] all = values.toDoubleArray();
                        for (int i = 0; i < chunk.size(); i++) {
                            double[] s = new double[n];
                            System.arraycopy(all, i * n, s, 0, n);
                            out.put(chunk.get(i).name(), s);
                        }
                    }
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "engine SVD (" + precision + ", " + algorithm + ", " + device + ")";
    }
}
