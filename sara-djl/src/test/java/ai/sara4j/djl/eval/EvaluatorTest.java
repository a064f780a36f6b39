package ai.sara4j.djl.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.data.DatasetException;
import ai.sara4j.core.data.PromptTemplate;
import ai.sara4j.core.metrics.AnswerScorer;
import ai.sara4j.core.metrics.Bleu;
import ai.sara4j.core.metrics.Cider;
import ai.sara4j.core.metrics.Nist;
import ai.sara4j.core.metrics.RougeL;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluatorTest {
    @TempDir
    Path dir;

    @Test
    void responseIsTheContinuationUpToAnotherResponseMarker() {
        assertEquals("The answer is 5.", Evaluator.response("\n  The answer is 5. \n"));
        // Python: (prompt + continuation).split("### Response:")[1].strip()
        assertEquals("first\n### Instruction: again", Evaluator.response(" first\n### Instruction: again\n### Response: second"));
        assertEquals("", Evaluator.response(""));
    }

    @Test
    void datasetNames() {
        assertEquals("gsm8k", Evaluator.datasetName(Path.of("data/llm-adapters/gsm8k/test.json")));
        assertEquals("math_train_3260", Evaluator.datasetName(Path.of("math_train_3260.json")));
        assertEquals("valid", Evaluator.datasetName(Path.of("e2e/valid.txt")));
        assertEquals(EvalTask.CHOICE, EvalTask.parse("Choice"));
        assertThrows(IllegalArgumentException.class, () -> EvalTask.parse("qa"));
    }

    /** Batches of 2 over 3 prompts: every output equals the one-by-one greedy continuation, scored independently. */
    @Test
    void batchedEvaluationEqualsOneByOneDecoding() throws Exception {
        Path e2e = dir.resolve("e2e.txt");
        Files.writeString(e2e, """
                name : Aromi | eatType : pub||Aromi is a pub .
                name : Blue | food : Chinese||Blue serves Chinese food .
                name : Aromi | eatType : pub||There is a pub called Aromi .
                name : Cotto | area : riverside||Cotto is by the river .
                """);
        Path math = dir.resolve("math.json");
        Files.writeString(math, """
                [{"instruction": "Tom had 3 apples and got 2 more. How many apples?", "input": "", "output": "", "answer": "5.0"},
                 {"instruction": "Once upon a time there was a cat.", "input": "", "output": "", "answer": "1"},
                 {"instruction": "What is 2 + 2?", "input": "", "output": "", "answer": "4"}]""");
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            Evaluator evaluator = new Evaluator(lm, 2, 10);
            GenerationOptions greedy = GenerationOptions.greedy(10);

            EvalReport text = evaluator.run(e2e, EvalTask.E2E, 0, null);
            List<String> prompts = List.of("name : Aromi | eatType : pub ||", "name : Blue | food : Chinese ||",
                    "name : Cotto | area : riverside ||");
            List<String> expected = prompts.stream().map(p -> lm.generate(p, greedy).text().strip()).toList();
            assertEquals(expected, text.hypotheses());
            List<List<String>> refs = List.of(List.of("Aromi is a pub .", "There is a pub called Aromi ."),
                    List.of("Blue serves Chinese food ."), List.of("Cotto is by the river ."));
            assertEquals(Bleu.corpus(expected, refs).score(), text.metrics().get("bleu").doubleValue(), 1e-12);
            assertEquals(RougeL.corpus(expected, refs), text.metrics().get("rouge_l").doubleValue(), 1e-12);
            assertEquals(Nist.corpus(expected, refs), text.metrics().get("nist").doubleValue(), 1e-12);
            assertEquals(Cider.corpus(expected, refs).score(), text.metrics().get("cider").doubleValue(), 1e-12);

            EvalReport answers = evaluator.run(math, EvalTask.MATH, 0, null);
            assertEquals("number", answers.scorer());
            int correct = 0;
            for (Prediction p : answers.predictions()) {
                String alone = Evaluator.response(lm.generate(PromptTemplate.EVALUATION.prompt(p.input(), ""), greedy).text());
                assertEquals(alone, p.generated());
                assertEquals(AnswerScorer.number().extract(alone), p.extracted());
                assertEquals(AnswerScorer.number().isCorrect(alone, p.reference()), p.correct());
                correct += p.correct() ? 1 : 0;
            }
            assertEquals(correct / 3.0, answers.metrics().get("accuracy").doubleValue());
            assertEquals(1, evaluator.run(math, EvalTask.MATH, 1, null).predictions().size());
        }
    }

    @Test
    void choiceDataWithoutKnownAnswerWordsIsAClearError() throws Exception {
        Path data = dir.resolve("quiz.json");
        Files.writeString(data, "[{\"instruction\": \"Pick\", \"answer\": \"maybe\"}]");
        Path noAnswer = dir.resolve("noanswer.json");
        Files.writeString(noAnswer, "[{\"instruction\": \"Pick\"}]");
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            Evaluator evaluator = new Evaluator(lm, 4, 2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> evaluator.run(data, EvalTask.CHOICE, 0, null));
            assertTrue(e.getMessage().contains("'maybe'"), e.getMessage());
            DatasetException missing = assertThrows(DatasetException.class,
                    () -> evaluator.run(noAnswer, EvalTask.MATH, 0, null));
            assertTrue(missing.getMessage().contains("noanswer.json: record 0: no 'answer'"), missing.getMessage());
        }
    }
}
