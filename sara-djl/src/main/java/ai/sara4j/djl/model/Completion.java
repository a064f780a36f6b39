package ai.sara4j.djl.model;

/**
 * A generated continuation.
 *
 * @param promptIds the tokenizer's ids for the prompt
 * @param generatedIds the new tokens, including a final end-of-sequence token if generation stopped on one
 * @param text the new tokens decoded, special tokens skipped
 */
public record Completion(long[] promptIds, long[] generatedIds, String text) {}
