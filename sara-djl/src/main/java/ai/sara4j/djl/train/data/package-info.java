/**
 * Training data on its way to the model: examples tokenized as LLM-Adapters' {@code finetune.py} does
 * ({@link ai.sara4j.djl.train.data.ExampleTokenizer}: prompt labels masked, sequences cut at the length limit, the
 * truncated and dropped examples counted in the {@link ai.sara4j.djl.train.data.TokenizedDataset}), a seeded
 * per-epoch batch order that a resumed run reproduces without saved state
 * ({@link ai.sara4j.djl.train.data.BatchOrder}), and right-padded batches with attention masks and labels
 * ({@link ai.sara4j.djl.train.data.Batch}).
 */
package ai.sara4j.djl.train.data;
