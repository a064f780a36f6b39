/**
 * What SARA4J needs from the PyTorch engine beyond DJL's API: TorchScript modules written and loaded from Java to
 * reach ATen operators DJL lacks ({@link ai.sara4j.djl.engine.TorchScriptModule}), a dtype cast autograd sees
 * ({@link ai.sara4j.djl.engine.DifferentiableCast}), constants that survive until backward
 * ({@link ai.sara4j.djl.engine.Scalars}), in-place copies into parameters and optimizer state that keep the array
 * and print no libtorch deprecation warning ({@link ai.sara4j.djl.engine.InPlace}), the adapters' input dropout
 * ({@link ai.sara4j.djl.engine.PackedDropout}), and the engine settings a program sets before its first DJL call
 * (offline, no usage tracking, one inter-op thread: {@link ai.sara4j.djl.engine.EngineSettings}).
 */
package ai.sara4j.djl.engine;
