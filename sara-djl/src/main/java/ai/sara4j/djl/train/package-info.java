/**
 * The training loop for adapters, matching transformers' Trainer and PyTorch where it matters.
 *
 * <p>{@link ai.sara4j.djl.train.Trainer} (built with its builder from {@link ai.sara4j.djl.train.TrainingOptions},
 * whose defaults are the SARA paper's recipe) trains the active adapter of an
 * {@link ai.sara4j.djl.adapter.AdaptedModel} on examples through a
 * {@link ai.sara4j.djl.train.TrainingObjective}: {@link ai.sara4j.djl.train.CausalLmObjective} (shifted-label
 * cross-entropy, {@link ai.sara4j.djl.train.CausalLmLoss}) for a causal language model, or
 * {@link ai.sara4j.djl.train.LossObjective} for any DJL loss over a user's own block and data. One update accumulates
 * micro-batches, unscales ({@link ai.sara4j.djl.train.LossScaler}, torch's {@code GradScaler}), clips the global
 * norm ({@link ai.sara4j.djl.train.GradientClipping}, {@code clip_grad_norm_}), applies
 * {@link ai.sara4j.djl.train.AdamW} ({@code torch.optim.AdamW}, fused) at the
 * {@link ai.sara4j.djl.train.LinearSchedule}'s learning rate, then runs the
 * {@link ai.sara4j.djl.train.StepHook}s (SoRA's proximal step) and reports
 * {@link ai.sara4j.djl.train.StepMetrics}.
 *
 * <p>With a run folder ({@link ai.sara4j.djl.train.TrainingRun}) a run writes {@code metrics.jsonl}, atomic
 * checkpoints it can resume from exactly, and the final adapter; one writer at a time holds the folder's lock, and
 * a fingerprint of everything the result depends on ({@link ai.sara4j.djl.train.RunFingerprint}) keeps a resume
 * from mixing runs.
 */
package ai.sara4j.djl.train;
