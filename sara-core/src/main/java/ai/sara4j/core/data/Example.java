package ai.sara4j.core.data;

import java.util.List;
import java.util.Objects;

/**
 * One prompt with what the model should produce after it.
 *
 * <p>For training, the model sees {@code prompt + target} and the loss covers the target's tokens only (the
 * tokenizer step appends EOS). For evaluation, the model continues {@code prompt} and the continuation is scored
 * against {@code references}: the LLM-Adapters {@code answer} field (one value), or every E2E reference text written
 * for the same meaning representation.
 *
 * @param prompt the text the model conditions on
 * @param target the text the model is trained to produce after the prompt
 * @param references what a generated answer is scored against (never empty)
 */
public record Example(String prompt, String target, List<String> references) {
    /**
     * Checks the fields and copies the references into an immutable list.
     *
     * @param prompt the text the model conditions on
     * @param target the text the model is trained to produce after the prompt
     * @param references what a generated answer is scored against
     * @throws NullPointerException when the prompt, target or a reference is null
     * @throws IllegalArgumentException when {@code references} is empty
     */
    public Example {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(target, "target");
        references = List.copyOf(references);
        if (references.isEmpty()) {
            throw new IllegalArgumentException("an example needs at least one reference");
        }
    }

    /**
     * The first reference.
     *
     * @return the first (for LLM-Adapters data, the only) reference
     */
    public String reference() {
        return references.get(0);
    }
}
