/**
 * SoRA (Ding et al., 2023): LoRA with a gate vector between A and B that a proximal (soft-threshold) step after
 * every update drives to sparsity, so each module's effective rank shrinks during training.
 */
package ai.sara4j.djl.adapter.sora;
