/**
 * Singular value decomposition on the engine, which DJL does not offer: {@link ai.sara4j.djl.svd.EngineSvd} runs
 * {@code torch.linalg} through a TorchScript module SARA4J writes itself, for the singular values of SARA's rank
 * rule and the truncated SVD factors that SARA, Mo-SARA and EDoRA start from;
 * {@link ai.sara4j.djl.svd.EngineSingularValues} serves the rank planner's
 * {@link ai.sara4j.core.rank.SingularValueSource} from a checkpoint.
 */
package ai.sara4j.djl.svd;
