package ai.sara4j.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlmAdaptersDataTest {
    @TempDir
    Path dir;

    private Path write(String name, String json) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, json, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void readsRecordsWithAndWithoutOptionalFields() throws Exception {
        Path file = write("d.json", """
                [
                  {"instruction": "Add 2 and 3.", "input": "", "output": "\\nA: 2 + 3 = 5. The answer is 5.", "answer": "5.0"},
                  {"instruction": "Translate.", "input": "Bonjour", "output": "Hello", "extra": [1, 2]},
                  {"instruction": "Pick.", "answer": 3}
                ]""");
        List<AlpacaRecord> records = LlmAdaptersData.read(file);
        assertEquals(List.of(
                new AlpacaRecord("Add 2 and 3.", "", "\nA: 2 + 3 = 5. The answer is 5.", "5.0"),
                new AlpacaRecord("Translate.", "Bonjour", "Hello", ""),
                new AlpacaRecord("Pick.", "", "", "3")), records);

        List<Example> train = records.stream().map(r -> LlmAdaptersData.toExample(r, PromptTemplate.TRAINING)).toList();
        assertEquals(PromptTemplate.TRAINING.prompt("Add 2 and 3.", ""), train.get(0).prompt());
        assertEquals("\nA: 2 + 3 = 5. The answer is 5.", train.get(0).target());
        assertEquals("5.0", train.get(0).reference());
        assertTrue(train.get(1).prompt().contains("### Input:\n" + " ".repeat(16) + "Bonjour\n"));
        assertEquals("Hello", train.get(1).reference(), "without an answer field, the output is the reference");
    }

    @Test
    void badFilesNameTheFileAndRecord() throws Exception {
        assertMessage(write("a.json", "{\"instruction\": \"x\"}"), "a.json: expected a JSON array");
        assertMessage(write("b.json", "[{\"instruction\": \"x\"},\n {\"input\": \"y\"}]"), "b.json: record 1: missing field 'instruction'");
        assertMessage(write("c.json", "[{\"instruction\": \"x\", \"output\": [\"y\"]}]"),
                "c.json: record 0: field 'output' must be a string, found array");
        assertMessage(write("d.json", "[1]"), "d.json: record 0: expected an object, found number");
        assertMessage(write("e.json", "[{\"instruction\": \"x\"},\n{\"instruction\" \"y\"}]"), "e.json: invalid JSON at line 2");
        assertMessage(write("f.json", ""), "f.json: expected a JSON array");
        assertMessage(dir.resolve("missing.json"), "missing.json: no such file");
        assertMessage(Files.createDirectories(dir.resolve("dir.json")), "dir.json: is a folder, not a data file");
    }

    /** Evaluation reads a record without output (it scores the answer); training refuses it, naming the record. */
    @Test
    void trainingRefusesARecordWithoutOutputButTakesAnEmptyOne() throws Exception {
        Path file = write("t.json", """
                [
                  {"instruction": "a", "output": "x"},
                  {"instruction": "b", "output": ""},
                  {"instruction": "c", "output": null, "answer": "3"}
                ]""");
        assertEquals(3, LlmAdaptersData.read(file).size());
        DatasetException e = assertThrows(DatasetException.class,
                () -> LlmAdaptersData.examples(file, PromptTemplate.TRAINING));
        assertTrue(e.getMessage().contains("t.json: record 2: missing field 'output'"), e.getMessage());
        Path empty = write("u.json", "[{\"instruction\": \"b\", \"output\": \"\"}]");
        assertEquals("", LlmAdaptersData.examples(empty, PromptTemplate.TRAINING).get(0).target());
    }

    private static void assertMessage(Path file, String expected) {
        DatasetException e = assertThrows(DatasetException.class, () -> LlmAdaptersData.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void readsThePapersMathTrainingSet() throws Exception {
        Path file = SharedData.require("data/llm-adapters/math_train_3260.json");
        List<Example> examples = LlmAdaptersData.examples(file, PromptTemplate.TRAINING);
        assertEquals(3260, examples.size());
        Example first = examples.get(0);
        assertTrue(first.prompt().contains("Julia played tag with 16 kids on monday."));
        assertTrue(first.target().startsWith("\nA: She played with 16 kids on Monday."));
        assertEquals("4.0", first.reference());
    }

    @Test
    void readsEveryTestSet() throws Exception {
        Path root = SharedData.require("data/llm-adapters");
        String[][] expected = {
            {"AQuA", "254", "A"}, {"gsm8k", "1319", "576.0"}, {"AddSub", "395", "4"}, {"boolq", "3270", "false"},
            {"piqa", "1838", "solution1"}, {"winogrande", "1267", "option2"}, {"ARC-Challenge", "1172", "answer3"},
        };
        for (String[] e : expected) {
            List<AlpacaRecord> records = LlmAdaptersData.read(root.resolve(e[0]).resolve("test.json"));
            assertEquals(Integer.parseInt(e[1]), records.size(), e[0]);
            assertEquals(e[2], records.get(0).answer(), e[0]);
            assertTrue(records.stream().allMatch(r -> r.input().isEmpty() && !r.answer().isEmpty()), e[0]);
        }
    }
}
