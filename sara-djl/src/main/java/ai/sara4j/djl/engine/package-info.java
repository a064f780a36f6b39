/**
 * What SARA4J needs from the PyTorch engine beyond DJL's API: TorchScript modules written and loaded from Java to
 * reach ATen operators DJL lacks ({@link ai.sara4j.djl.engine.TorchScriptModule}), a dtype cast autograd sees
 * ({@link ai.sara4j.djl.engine.DifferentiableCast}), constants that survive until backward
 * ({@link ai.sara4j.djl.engine.Scalars}), and the adapters' input dropout
 * ({@link ai.sara4j.djl.engine.PackedDropout}).
 */
package ai.sara4j.djl.engine;
