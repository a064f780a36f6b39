package ai.sara4j.examples;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** Engine set-up shared by the commands: offline defaults and the {@code --device} choice. */
final class Engines {
    private Engines() {}

    /**
     * DJL must not reach the network unless the user asked it to (for example to fetch a CUDA libtorch):
     * {@code DJL_OFFLINE=false} in the environment overrides this.
     */
    static void applyOfflineDefaults() {
        setDefault("DJL_OFFLINE", "true");
        setDefault("OPT_OUT_TRACKING", "true");
    }

    private static void setDefault(String name, String value) {
        if (System.getenv(name) == null && System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
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
