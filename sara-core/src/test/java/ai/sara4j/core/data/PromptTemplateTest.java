package ai.sara4j.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class PromptTemplateTest {

    /** Every case of tools/fixtures/make_llm_adapters_fixtures.py, produced by LLM-Adapters' own generate_prompt. */
    @Test
    void equalsLlmAdaptersPromptsCharacterForCharacter() throws Exception {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/llm-adapters-prompts.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        assertEquals(20, cases.size());
        for (JsonNode c : cases) {
            String instruction = c.get("instruction").asText();
            String input = c.get("input").isNull() ? null : c.get("input").asText();
            assertEquals(c.get("train_prompt").asText(), PromptTemplate.TRAINING.prompt(instruction, input));
            assertEquals(c.get("eval_prompt").asText(), PromptTemplate.EVALUATION.prompt(instruction, input));
        }
    }

    @Test
    void handWrittenEvaluationPromptWithoutInput() {
        String indent = " ".repeat(16);
        String expected = "Below is an instruction that describes a task. Write a response that appropriately "
                + "completes the request. \n\n"
                + indent + "### Instruction:\n" + indent + "Add 2 and 3.\n\n"
                + indent + "### Response:\n" + indent;
        assertEquals(expected, PromptTemplate.EVALUATION.prompt("Add 2 and 3.", ""));
    }

    @Test
    void theTwoScriptsDifferOnlyInWhitespace() {
        for (String input : new String[] {"", "ctx"}) {
            String train = PromptTemplate.TRAINING.prompt("Q", input);
            String eval = PromptTemplate.EVALUATION.prompt("Q", input);
            assertNotEquals(train, eval);
            assertEquals(train.replaceAll("\\s+", " "), eval.replaceAll("\\s+", " "));
            assertTrue(train.contains("### Input:") == !input.isEmpty());
        }
    }
}
