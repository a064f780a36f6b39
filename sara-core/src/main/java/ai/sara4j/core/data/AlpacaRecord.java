package ai.sara4j.core.data;

import java.util.Objects;

/**
 * One record of an LLM-Adapters JSON dataset (the Alpaca layout plus the short answer used for scoring).
 *
 * @param instruction the task, including the question and, for the commonsense sets, the options
 * @param input extra context; empty in every LLM-Adapters file, but the Alpaca layout allows it
 * @param output the full response the model is trained on (a worked solution, or "the correct answer is ...")
 * @param answer the short answer a response is scored against ("4.0", "A", "answer2", "true"), or empty when the
 *     file has none (plain Alpaca data)
 */
public record AlpacaRecord(String instruction, String input, String output, String answer) {
    /**
     * Checks that no field is null (an absent field is read as the empty string).
     *
     * @param instruction the task, including the question and options
     * @param input extra context, possibly empty
     * @param output the full response the model is trained on
     * @param answer the short answer used for scoring, possibly empty
     * @throws NullPointerException naming the field that is null
     */
    public AlpacaRecord {
        Objects.requireNonNull(instruction, "instruction");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(answer, "answer");
    }

    /**
     * The prompt of this record in the given template: instruction and input, ending where the response starts.
     *
     * @param template {@link PromptTemplate#TRAINING} or {@link PromptTemplate#EVALUATION}
     * @return the prompt text, byte for byte as LLM-Adapters builds it
     */
    public String prompt(PromptTemplate template) {
        return template.prompt(instruction, input);
    }
}
