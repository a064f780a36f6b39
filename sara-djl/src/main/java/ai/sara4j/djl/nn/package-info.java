/**
 * PyTorch-style module addressing over a DJL block tree. {@link ai.sara4j.djl.nn.Modules} gives every block its
 * dotted path ({@code model.layers.3.self_attn.q_proj}) and replaces the block at a path as PyTorch's
 * {@code setattr} does, in the parent's children and in every parent field that held it: the addressing PEFT's
 * target rules and adapter injection rely on. {@link ai.sara4j.djl.nn.ModelTensors} lists a block's parameters under
 * those paths as a {@link ai.sara4j.core.safetensors.TensorSource}, so a model already in memory can be planned
 * ({@link ai.sara4j.core.rank.RankPlanner}) as its checkpoint folder would be.
 */
package ai.sara4j.djl.nn;
