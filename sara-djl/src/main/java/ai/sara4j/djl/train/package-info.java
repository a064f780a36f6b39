/**
 * The training loop for adapters of a causal language model, matching transformers' Trainer and PyTorch where it
 * matters: shifted-label cross-entropy, gradient accumulation, global-norm clipping, {@code torch.optim.AdamW}, a
 * linear warm-up/decay schedule, dynamic FP16 loss scaling, after-update hooks, and a run folder with
 * {@code metrics.jsonl} and atomic, resumable checkpoints.
 */
package ai.sara4j.djl.train;
