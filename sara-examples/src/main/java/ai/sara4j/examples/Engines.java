package ai.sara4j.examples;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/** Engine choices shared by the commands: the {@code --device} and dtype options (settings: {@code EngineSettings}). */
final class Engines {
    private Engines() {}

    /** Parses a floating-point type given as {@code fp16}, {@code fp32} or {@code fp64}, naming {@code option}. */
    static DataType floatType(String option, String value, DataType... allowed) {
        DataType type = switch (value.toLowerCase(Locale.ROOT)) {
            case "fp16" -> DataType.FLOAT16;
            case "fp32" -> DataType.FLOAT32;
            case "fp64" -> DataType.FLOAT64;
            default -> null;
        };
        if (type == null || !java.util.Arrays.asList(allowed).contains(type)) {
            String names = java.util.Arrays.stream(allowed).map(t -> "fp" + t.getNumOfBytes() * 8)
                    .collect(java.util.stream.Collectors.joining(" or "));
            throw new IllegalArgumentException(option + " must be " + names + ", not '" + value + "'");
        }
        return type;
    }

    /** Resolves {@code cpu}, {@code gpu} (first CUDA device) or {@code auto}. */
    static Device device(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        switch (n) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (Engine.getInstance().getGpuCount() == 0) {
                    throw new IllegalArgumentException("--device gpu: no CUDA device visible to the PyTorch engine"
                            + " (this libtorch is " + Engine.getInstance().getVersion()
                            + "; see README, 'GPU' for a CUDA build)");
                }
                return Device.gpu();
            case "auto":
                return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            default:
                throw new IllegalArgumentException("--device must be cpu, gpu or auto, not '" + name + "'");
        }
    }
}
