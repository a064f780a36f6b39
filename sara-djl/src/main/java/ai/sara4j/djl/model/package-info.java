/**
 * Decoder-only language models (LLaMA, GPT-J, GPT-2 families) built as DJL blocks that mirror the Hugging Face
 * transformers module tree, so PEFT module names and checkpoint tensor names apply unchanged: configuration and
 * loading from a Hugging Face folder, the layers (attention with rotary embeddings and a KV cache, feed-forward,
 * normalisation), the tokenizer, and greedy generation one prompt at a time or batched.
 */
package ai.sara4j.djl.model;
