package ai.sara4j.core.data;

/**
 * The Alpaca-style prompts of the LLM-Adapters code (AGI-Edgerunners/LLM-Adapters), which the SARA paper used for
 * training and evaluation, reproduced character for character.
 *
 * <p>The two scripts differ in whitespace, and SARA4J keeps both forms because a model trained with one and
 * evaluated with the other is exactly what the paper's numbers measure:
 * <ul>
 *   <li>{@link #TRAINING} is {@code finetune.py}'s {@code generate_prompt} with an empty {@code output} (the part
 *       LLM-Adapters masks out of the loss when {@code train_on_inputs=False}); the training text is this prompt
 *       followed by the record's {@code output}.
 *   <li>{@link #EVALUATION} is {@code evaluate.py}'s (and {@code commonsense_evaluate.py}'s) {@code generate_prompt}.
 * </ul>
 *
 * <p>Oddities kept on purpose, since a model fine-tuned by LLM-Adapters saw exactly these bytes: the templates are
 * indented Python triple-quoted strings, so every line after the first starts with 16 spaces and the prompt ends with
 * {@code "### Response:\n"} plus 16 spaces; in {@code finetune.py} the blank lines between sections hold those 16
 * spaces too, while in {@code evaluate.py} they are empty; the first line ends with a space in
 * {@code finetune.py}'s with-input form and {@code evaluate.py}'s no-input form, with two spaces in
 * {@code finetune.py}'s no-input form, and with none in {@code evaluate.py}'s with-input form. (An older
 * {@code finetune.py} even had {@code "# noqa: E501"} inside the string; SARA4J follows the later code, which moved
 * it outside.)
 */
public enum PromptTemplate {
    /** {@code finetune.py}: what the model is trained on. */
    TRAINING(
            "Below is an instruction that describes a task. Write a response that appropriately completes the request."
                    + "  \n\n",
            "Below is an instruction that describes a task, paired with an input that provides further context. "
                    + "Write a response that appropriately completes the request. \n\n",
            true),
    /** {@code evaluate.py} and {@code commonsense_evaluate.py}: what the model is asked at test time. */
    EVALUATION(
            "Below is an instruction that describes a task. Write a response that appropriately completes the request."
                    + " \n\n",
            "Below is an instruction that describes a task, paired with an input that provides further context. "
                    + "Write a response that appropriately completes the request.\n\n",
            false);

    /** The indentation of the Python source (16 spaces), which ends up inside the prompt. */
    private static final String INDENT = "                ";

    private final String headerWithoutInput;
    private final String headerWithInput;
    /** The line between sections: the indentation in finetune.py, empty in evaluate.py. */
    private final String blankLine;

    PromptTemplate(String headerWithoutInput, String headerWithInput, boolean indentedBlankLines) {
        this.headerWithoutInput = headerWithoutInput;
        this.headerWithInput = headerWithInput;
        this.blankLine = (indentedBlankLines ? INDENT : "") + "\n";
    }

    /**
     * The prompt, ending where the response starts. As in Python's {@code if input:}, a null or empty input selects
     * the form without an input section.
     *
     * @param instruction the record's instruction
     * @param input the record's input, or null or empty for none
     * @return the prompt text, ending with {@code "### Response:\n"} and the 16-space indentation
     */
    public String prompt(String instruction, String input) {
        StringBuilder s = new StringBuilder();
        boolean hasInput = input != null && !input.isEmpty();
        s.append(hasInput ? headerWithInput : headerWithoutInput);
        s.append(INDENT).append("### Instruction:\n").append(INDENT).append(instruction).append('\n').append(blankLine);
        if (hasInput) {
            s.append(INDENT).append("### Input:\n").append(INDENT).append(input).append('\n').append(blankLine);
        }
        s.append(INDENT).append("### Response:\n").append(INDENT);
        return s.toString();
    }
}
