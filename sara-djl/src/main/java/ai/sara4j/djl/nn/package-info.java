/**
 * PyTorch-style dotted module paths over a DJL block tree ({@code model.layers.3.self_attn.q_proj}) and
 * replacement of the block at a path, the addressing that PEFT's target rules and adapter injection rely on.
 */
package ai.sara4j.djl.nn;
