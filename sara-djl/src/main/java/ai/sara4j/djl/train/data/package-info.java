/**
 * Training data on its way to the model: examples tokenized as LLM-Adapters' {@code finetune.py} does (prompt
 * labels masked), a seeded per-epoch batch order that a resumed run reproduces, and right-padded batches with
 * attention masks and labels.
 */
package ai.sara4j.djl.train.data;
