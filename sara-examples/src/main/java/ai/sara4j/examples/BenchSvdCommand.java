package ai.sara4j.examples;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.sara4j.djl.svd.EngineSvd;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./sara bench svd}: seconds per matrix for the singular values that the rank rule needs, and for a rank-k
 * truncated SVD (Mo-SARA, EDoRA initialisation), on random N×N matrices.
 */
@Command(name = "svd", mixinStandardHelpOptions = true,
        description = "Time engine singular values and truncated SVD of COUNT random SIZE×SIZE matrices.")
final class BenchSvdCommand implements Callable<Integer> {
    @Option(names = "--size", defaultValue = "1024", description = "Matrix side N (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--count", defaultValue = "8", description = "Matrices per batch (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--k", description = "Rank of the truncated SVD (default N/16).")
    Integer k;

    @Mixin
    DeviceOption device;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32 or fp64 (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--algorithm", defaultValue = "svd",
            description = "Singular values by svd (linalg.svdvals) or gram (eigvalsh of A·Aᵀ) (default ${DEFAULT-VALUE}).")
    String algorithm;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed repetitions after one warm-up; the median is reported.")
    int repeat;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (size < 2 || count < 1 || repeat < 1) {
            throw new IllegalArgumentException("--size must be >= 2, --count and --repeat >= 1");
        }
        int rank = k == null ? Math.max(1, size / 16) : k;
        if (rank < 1 || rank > size) {
            throw new IllegalArgumentException("--k must be in [1, --size " + size + "], got " + rank);
        }
        DataType type = Engines.floatType("--dtype", dtype, DataType.FLOAT32, DataType.FLOAT64);
        EngineSvd.Algorithm algo = EngineSvd.Algorithm.parse("--algorithm", algorithm);
        Device dev = device.device();
        try (NDManager manager = NDManager.newBaseManager(dev);
                EngineSvd svd = EngineSvd.create(manager)) {
            NDArray batch = manager.randomNormal(new Shape(count, size, size)).toType(type, false);
            double svSeconds = median(repeat, () -> {
                try (NDArray s = svd.singularValues(batch, algo)) {
                    s.sum().getFloat(); // synchronises the device
                }
            }) / count;
            double truncSeconds = median(repeat, () -> {
                try (EngineSvd.Truncated t = svd.truncated(batch, rank)) {
                    t.s().sum().getFloat();
                }
            }) / count;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("benchmark", "svd");
            out.put("device", dev.toString());
            out.put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
            out.put("threads", Runtime.getRuntime().availableProcessors());
            out.put("size", size);
            out.put("count", count);
            out.put("dtype", dtype);
            out.put("algorithm", algorithm);
            out.put("k", rank);
            out.put("singular_values_s_per_matrix", svSeconds);
            out.put("truncated_svd_s_per_matrix", truncSeconds);
            out.put("repeat", repeat);
            if (json) {
                System.out.println(Json.MAPPER.writeValueAsString(out));
            } else {
                System.out.printf("%d×%d %s on %s: singular values %.4f s/matrix, truncated SVD (k=%d) %.4f s/matrix%n",
                        size, size, dtype, dev, svSeconds, rank, truncSeconds);
            }
        }
        return 0;
    }

    /** Median wall-clock seconds of {@code repeat} runs after one warm-up run. */
    static double median(int repeat, Runnable work) {
        work.run();
        double[] t = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            long start = System.nanoTime();
            work.run();
            t[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(t);
        return t[repeat / 2];
    }
}
