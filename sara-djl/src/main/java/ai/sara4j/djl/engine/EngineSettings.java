package ai.sara4j.djl.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The DJL engine settings SARA4J runs with, for programs that use the library the way {@code ./sara} does.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     EngineSettings.applyDefaults();          // first, before anything touches DJL
 *     try (LanguageModel lm = LanguageModel.load(Path.of("models/tinystories-656k"))) { ... }
 * }
 * }</pre>
 *
 * <p>{@link #applyDefaults()} sets, as Java system properties, each of the {@link #DEFAULTS} that the caller has not
 * set, neither as that system property nor through the environment variable DJL reads for it (so
 * {@code DJL_OFFLINE=false} in the environment, or {@code -Dai.djl.pytorch.num_interop_threads=4}, wins):
 * <ul>
 *   <li>{@code ai.djl.offline=true} (environment: {@code DJL_OFFLINE}): DJL never downloads anything (a libtorch, a
 *       model); the CPU libtorch ships in {@code pytorch-native-cpu}. A CUDA machine may set
 *       {@code DJL_OFFLINE=false} to fetch a CUDA libtorch. (DJL reads the environment variable
 *       {@code DJL_OFFLINE} or the property {@code ai.djl.offline}, not a property called {@code DJL_OFFLINE}.)
 *   <li>{@code OPT_OUT_TRACKING=true} (the environment variable of the same name): DJL's usage tracking stays off.
 *   <li>{@code ai.djl.pytorch.num_interop_threads=1}: eager execution gains nothing from inter-op threads (no
 *       difference measured in {@code bench train}). The pin once stood against runs that differed and gave NaN
 *       now and then; their cause was constants freed before backward read them ({@link Scalars}), and the pin
 *       stayed as the harmless default. Intra-op threads (the parallel kernels) are not touched.
 * </ul>
 * DJL reads these when its engine starts, so they must be set before the first DJL call; later they have no
 * effect.
 *
 * <p><b>glibc malloc.</b> A step's intermediate tensors are freed all at once when the step ends; with glibc's
 * defaults the freed memory goes back to the system and is faulted in again on the next step (about 4,000 page
 * faults per step on tinystories-656k, 5–15 % of a CPU step; docs/benchmarks.md). {@code ./sara} therefore exports
 * the {@link #GLIBC_MALLOC} values (unless any {@code MALLOC_*} variable is already set): blocks up to 256 MiB come
 * from the heap rather than from their own mappings, the heap is trimmed only above 1 GiB free at its top, and it
 * grows in 256 MiB steps. glibc reads these environment variables when the process starts, so a JVM cannot set
 * them for itself: export them before starting {@code java}. Other C libraries ignore them.
 *
 * <p><b>CUDA probe.</b> On a machine that has a CUDA runtime library ({@code libcudart}) but no GPU driver, DJL's
 * device probe logs "Failed to detect GPU count: CUDA driver version is insufficient for CUDA runtime version (35)"
 * at WARN through the slf4j logger {@value #CUDA_PROBE_LOGGER}, once per probe (two at engine start, one more for
 * every default-device lookup). It says only that no GPU can be used; the CLI and the tests set that logger to
 * ERROR (slf4j-simple: {@code org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error}; logback:
 * {@code <logger name="ai.djl.util.cuda.CudaUtils" level="ERROR"/>}), and {@code --device gpu} fails with its own
 * message when no GPU is visible. A library cannot set another program's log levels; this is the setting to use.
 */
public final class EngineSettings {
    /** The slf4j logger of DJL's CUDA device probe. */
    public static final String CUDA_PROBE_LOGGER = "ai.djl.util.cuda.CudaUtils";

    /** What {@link #applyDefaults()} sets where the caller has not: system property → value. */
    public static final Map<String, String> DEFAULTS = ordered(
            "ai.djl.offline", "true",
            "OPT_OUT_TRACKING", "true",
            "ai.djl.pytorch.num_interop_threads", "1");

    /** The environment variable DJL reads in place of a property, where there is one: property → variable. */
    private static final Map<String, String> ENVIRONMENT = Map.of(
            "ai.djl.offline", "DJL_OFFLINE",
            "OPT_OUT_TRACKING", "OPT_OUT_TRACKING");

    /**
     * The glibc malloc environment {@code ./sara} exports before starting the JVM: name → value (bytes).
     */
    public static final Map<String, String> GLIBC_MALLOC = ordered(
            "MALLOC_MMAP_THRESHOLD_", "268435456",
            "MALLOC_TRIM_THRESHOLD_", "1073741824",
            "MALLOC_TOP_PAD_", "268435456");

    private EngineSettings() {}

    /**
     * Sets each of the {@link #DEFAULTS} as a system property unless the caller set it (as that property, or through
     * the environment variable DJL reads for it). Call it first, before the DJL engine starts.
     *
     * @return the settings this call set (those the caller had set are left out)
     */
    public static Map<String, String> applyDefaults() {
        Map<String, String> set = new LinkedHashMap<>();
        DEFAULTS.forEach((name, value) -> {
            String env = ENVIRONMENT.get(name);
            if ((env == null || System.getenv(env) == null) && System.getProperty(name) == null) {
                System.setProperty(name, value);
                set.put(name, value);
            }
        });
        return set;
    }

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(out);
    }
}
