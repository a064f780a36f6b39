package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.metrics.AnswerScorer;
import ai.sara4j.core.metrics.Bleu;
import ai.sara4j.core.metrics.Cider;
import ai.sara4j.core.metrics.Nist;
import ai.sara4j.core.metrics.RougeL;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./sara eval} end to end on tinystories-656k with the real LLM-Adapters and E2E files, three examples each. */
class EvalCommandTest {
    @TempDir
    Path dir;

    private JsonNode eval(String task, String data, String... extra) throws Exception {
        return eval(task, data, 12, extra);
    }

    private JsonNode eval(String task, String data, int maxNewTokens, String... extra) throws Exception {
        Path out = dir.resolve(task + ".json");
        List<String> args = new ArrayList<>(List.of("eval", "--model", SharedData.tinyStories().toString(),
                "--data", SharedData.require(data).toString(), "--task", task, "--limit", "3", "--batch-size", "2",
                "--max-new-tokens", Integer.toString(maxNewTokens), "--out", out.toString()));
        args.addAll(List.of(extra));
        CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("3/3"), "progress on stderr: " + r.err());
        return new ObjectMapper().readTree(out.toFile());
    }

    @Test
    void mathReportsPredictionsAndTheirAccuracy() throws Exception {
        JsonNode report = eval("math", "data/llm-adapters/gsm8k/test.json");
        assertEquals("gsm8k", report.get("dataset").asText());
        assertEquals("number", report.get("scorer").asText());
        assertAccuracyRecomputes(report, AnswerScorer.number());
        assertEquals("576.0", report.get("predictions").get(0).get("reference").asText());
    }

    @Test
    void choiceUsesTheDatasetsAnswerWords() throws Exception {
        JsonNode report = eval("choice", "data/llm-adapters/boolq/test.json");
        assertEquals("boolq", report.get("dataset").asText());
        assertEquals("true_false", report.get("scorer").asText());
        assertAccuracyRecomputes(report, AnswerScorer.choice(AnswerScorer.Choice.TRUE_FALSE));
    }

    @Test
    void aquaIsScoredByLetter() throws Exception {
        JsonNode report = eval("math", "data/llm-adapters/AQuA/test.json", 4);
        assertEquals("letter", report.get("scorer").asText());
        assertAccuracyRecomputes(report, AnswerScorer.letter());
    }

    private static void assertAccuracyRecomputes(JsonNode report, AnswerScorer scorer) {
        JsonNode predictions = report.get("predictions");
        assertEquals(3, predictions.size());
        int correct = 0;
        for (JsonNode p : predictions) {
            String generated = p.get("generated").asText();
            assertFalse(p.get("input").asText().isEmpty());
            assertEquals(scorer.extract(generated), p.get("extracted").asText());
            boolean ok = scorer.isCorrect(generated, p.get("reference").asText());
            assertEquals(ok, p.get("correct").asBoolean());
            correct += ok ? 1 : 0;
        }
        JsonNode metrics = report.get("metrics");
        assertEquals(correct, metrics.get("correct").asInt());
        assertEquals(3, metrics.get("count").asInt());
        assertEquals(correct / 3.0, metrics.get("accuracy").asDouble(), 1e-15);
    }

    @Test
    void e2eReportsOneHypothesisPerMeaningAndItsScores() throws Exception {
        JsonNode report = eval("e2e", "data/e2e/valid.txt");
        assertEquals("e2e", report.get("task").asText());
        assertTrue(report.get("adapter").isNull());
        List<String> hypotheses = new ArrayList<>();
        report.get("hypotheses").forEach(h -> hypotheses.add(h.asText()));
        assertEquals(3, hypotheses.size());
        assertTrue(hypotheses.stream().anyMatch(h -> !h.isEmpty()));
        List<List<String>> refs = E2eData.group(E2eData.read(SharedData.require("data/e2e/valid.txt"))).subList(0, 3)
                .stream().map(E2eData.Group::references).toList();
        assertEquals(Bleu.corpus(hypotheses, refs).score(), report.get("metrics").get("bleu").asDouble(), 1e-12);
        assertEquals(RougeL.corpus(hypotheses, refs), report.get("metrics").get("rouge_l").asDouble(), 1e-12);
        assertEquals(Nist.corpus(hypotheses, refs), report.get("metrics").get("nist").asDouble(), 1e-12);
        assertEquals(Cider.corpus(hypotheses, refs).score(), report.get("metrics").get("cider").asDouble(), 1e-12);
    }

    /** A SARA adapter (random init, so it changes the outputs) saved, then evaluated through --adapter. */
    @Test
    void adapterIsLoadedOntoTheModel() throws Exception {
        Path adapter = dir.resolve("adapter");
        List<String> expected;
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            Adapters.inject(lm.model(), SaraConfig.of(TargetMatcher.names("q_proj", "v_proj", "down_proj"))).save(adapter);
            List<E2eData.Group> groups = E2eData.group(E2eData.read(SharedData.require("data/e2e/valid.txt")));
            expected = groups.subList(0, 3).stream()
                    .map(g -> lm.generate(g.prompt(), GenerationOptions.greedy(12)).text().strip()).toList();
        }
        JsonNode report = eval("e2e", "data/e2e/valid.txt", "--adapter", adapter.toString());
        assertEquals(adapter.toString(), report.get("adapter").asText());
        List<String> hypotheses = new ArrayList<>();
        report.get("hypotheses").forEach(h -> hypotheses.add(h.asText()));
        assertEquals(expected, hypotheses);
    }

    @Test
    void badInputsAreOneLineErrors() throws Exception {
        Path model = SharedData.tinyStories();
        CliRunner.Result task = CliRunner.run("eval", "--model", model.toString(), "--data", "x.json", "--task", "qa",
                "--out", dir.resolve("o.json").toString());
        assertEquals(1, task.exitCode());
        assertTrue(task.err().contains("unknown task 'qa'"), task.err());
        Path missing = dir.resolve("missing.json");
        CliRunner.Result data = CliRunner.run("eval", "--model", model.toString(), "--data", missing.toString(),
                "--task", "math", "--out", dir.resolve("o.json").toString());
        assertEquals(1, data.exitCode());
        assertTrue(data.err().contains(missing + ": no such file"), data.err());
    }
}
