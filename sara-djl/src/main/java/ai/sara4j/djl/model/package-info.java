/**
 * Decoder-only language models (the families of {@link ai.sara4j.djl.model.ModelFamily}: LLaMA, Mistral, Qwen2,
 * Qwen3, Gemma, Gemma 2, Phi-3, GPT-NeoX, OLMo 2, GPT-J, GPT-2) built as DJL blocks that mirror the Hugging Face
 * transformers module tree, so PEFT module names and checkpoint tensor names apply unchanged: configuration and
 * loading from a Hugging Face folder ({@link ai.sara4j.djl.model.ModelLoader}), the network
 * ({@link ai.sara4j.djl.model.CausalLM}: attention with rotary embeddings and a KV cache, feed-forward,
 * normalisation), the tokenizer with transformers' special-token rules ({@link ai.sara4j.djl.model.TextTokenizer}),
 * generation ({@link ai.sara4j.djl.model.Generator}: greedy or sampled, one prompt;
 * {@link ai.sara4j.djl.model.BatchGenerator}: greedy, many prompts at once), and
 * {@link ai.sara4j.djl.model.LanguageModel}, a model folder ready to use.
 */
package ai.sara4j.djl.model;
