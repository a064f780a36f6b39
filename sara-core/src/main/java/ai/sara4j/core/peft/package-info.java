/**
 * Hugging Face PEFT interoperability: {@link ai.sara4j.core.peft.PeftConfig} reads and writes
 * {@code adapter_config.json} with typed access to the LoRA-family fields, PEFT's per-module
 * {@code rank_pattern}/{@code alpha_pattern} lookup, and a {@code sara4j} section for SARA4J's own methods, while
 * keeping every unknown field so configs made in Python survive a round trip.
 */
package ai.sara4j.core.peft;
