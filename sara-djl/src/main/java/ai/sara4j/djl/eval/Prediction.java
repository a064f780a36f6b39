package ai.sara4j.djl.eval;

/**
 * One scored answer of a math or choice evaluation.
 *
 * @param input the record's instruction
 * @param generated the response: the decoded new tokens up to any further "### Response:", trimmed
 * @param extracted the answer extracted from the response (a number's text, "inf" when none, a letter or an answer
 *     word, empty when none)
 * @param reference the record's answer
 * @param correct whether the extracted answer matches the reference
 */
public record Prediction(String input, String generated, String extracted, String reference, boolean correct) {}
