package ai.sara4j.examples;

import ai.djl.Device;
import picocli.CommandLine.Option;

/** The {@code --device} option shared by the commands that run the engine. */
final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or auto (default ${DEFAULT-VALUE}).")
    String name;

    /** The chosen device; {@code gpu} without a CUDA device is an error. */
    Device device() {
        return Engines.device(name);
    }
}
