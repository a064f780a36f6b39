package ai.sara4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnswerScorerTest {

    /** tools/fixtures/make_llm_adapters_fixtures.py ran LLM-Adapters' own extraction functions on these outputs. */
    @Test
    void agreesWithLlmAdaptersOnGeneratedOutputs() throws Exception {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/llm-adapters-answers.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        assertEquals(432, cases.size());
        AnswerScorer number = AnswerScorer.number();
        AnswerScorer letter = AnswerScorer.letter();
        int correct = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            JsonNode expectedNumber = c.get("number");
            double n = AnswerScorer.extractNumber(text);
            if (expectedNumber.isTextual()) {
                assertEquals(Double.POSITIVE_INFINITY, n, text);
            } else {
                assertEquals(expectedNumber.asDouble(), n, 0.0, text);
            }
            boolean mathCorrect = c.get("math_correct").asBoolean();
            assertEquals(mathCorrect, number.isCorrect(text, c.get("label").asText()), text);
            correct += mathCorrect ? 1 : 0;
            assertEquals(c.get("letter").asText(), letter.extract(text), text);
            for (Iterator<Map.Entry<String, JsonNode>> it = c.get("choice").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                AnswerScorer.Choice choice = AnswerScorer.Choice.forDataset(e.getKey());
                assertEquals(e.getValue().asText(), choice.extract(text), e.getKey() + ": " + text);
            }
        }
        assertTrue(correct > 50 && correct < 400, "the fixture exercises both outcomes: " + correct);
    }

    @Test
    void handWrittenCases() {
        assertEquals(1234.5, AnswerScorer.extractNumber("first 3, then 1,234.5 apples"));
        assertEquals("inf", AnswerScorer.number().extract("no digits"));
        assertTrue(AnswerScorer.number().isCorrect("The answer is 9.", "9.0"));
        assertFalse(AnswerScorer.number().isCorrect("The answer is 9.01", "9.0"));
        assertEquals("A", AnswerScorer.letter().extract("Answer: (C)"), "LLM-Adapters takes the A of 'Answer'");
        assertEquals("answer2", AnswerScorer.Choice.ANSWER.extract("the correct answer is answer2"));
        assertThrows(IllegalArgumentException.class, () -> AnswerScorer.number().isCorrect("1", "one"));
    }

    @Test
    void picksTheScorerFromTheDatasetOrItsAnswers() {
        assertEquals("letter", AnswerScorer.forMath("AQuA", List.of("A")).name());
        assertEquals("letter", AnswerScorer.forMath("mine", List.of("A", "E")).name());
        assertEquals("number", AnswerScorer.forMath("gsm8k", List.of("576.0")).name());
        assertEquals("true_false", AnswerScorer.forChoice("boolq", List.of()).name());
        assertEquals("option", AnswerScorer.forChoice("mine", List.of("option1", "option2")).name());
        assertEquals("answer", AnswerScorer.forChoice("openbookqa", List.of("answer4")).name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AnswerScorer.forChoice("mine", List.of("answer1", "option2")));
        assertTrue(e.getMessage().contains("'option2'"), e.getMessage());
    }
}
