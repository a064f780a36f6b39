/**
 * Fine-tuning datasets as {@link ai.sara4j.core.data.Example}s (prompt, target, references): LLM-Adapters'
 * Alpaca-layout JSON prompted exactly as its {@code finetune.py} and {@code evaluate.py} do
 * ({@link ai.sara4j.core.data.PromptTemplate}), and E2E NLG {@code mr||text} lines grouped by meaning
 * representation ({@link ai.sara4j.core.data.E2eData}). Malformed input raises a
 * {@link ai.sara4j.core.data.DatasetException} naming the file and the record or line.
 */
package ai.sara4j.core.data;
