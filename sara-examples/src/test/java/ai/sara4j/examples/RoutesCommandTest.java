package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.data.LlmAdaptersData;
import ai.sara4j.core.data.PromptTemplate;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.mosara.GateRecorder;
import ai.sara4j.djl.adapter.mosara.GateStatistics;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.model.LanguageModel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./sara routes} on tinystories-656k (2 layers) with a fresh Mo-SARA adapter (3 heads) on q_proj and v_proj. */
class RoutesCommandTest {
    private static final String[] KINDS = {"q_proj", "v_proj"};

    @TempDir
    Path dir;

    private Path moSaraAdapter() throws Exception {
        Path adapter = dir.resolve("mosara");
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            // fresh routers are Kaiming-random, so the gates differ between heads, modules and prompts
            Adapters.inject(lm.model(), MoSaraConfig.of(TargetMatcher.names(KINDS)).withHeads(3)).save(adapter);
        }
        return adapter;
    }

    /** A --per-task folder: AddSub/test.json and boolq/test.json copied from the shared data, and a stray file. */
    private Path perTask() throws Exception {
        Path tasks = dir.resolve("tasks");
        for (String task : List.of("boolq", "AddSub")) {
            Files.createDirectories(tasks.resolve(task));
            Files.copy(SharedData.require("data/llm-adapters/" + task + "/test.json"),
                    tasks.resolve(task).resolve("test.json"));
        }
        Files.writeString(tasks.resolve("math_train.json"), "[]");
        return tasks;
    }

    /**
     * Per task: the JSON holds, for every module, the gate the library records over the task's first question
     * prompted as {@code ./sara eval} does (one pass, every prompt token), a distribution over the heads; the same
     * numbers arranged by kind and layer; the PNG has one row per task and one panel per kind.
     */
    @Test
    void mapsTheFirstQuestionOfEachTask() throws Exception {
        Path adapter = moSaraAdapter();
        Path tasks = perTask();
        Path png = dir.resolve("routes.png");
        Path json = dir.resolve("routes.json");
        CliRunner.Result r = CliRunner.run("routes", "--model", SharedData.tinyStories().toString(), "--adapter",
                adapter.toString(), "--per-task", tasks.toString(), "--out", png.toString(), "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("routing of 4 modules x 3 heads on 2 test set(s)"), r.out());

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(3, root.get("heads").asInt());
        JsonNode sets = root.get("tasks");
        assertEquals(2, sets.size());
        assertEquals("AddSub", sets.get(0).get("name").asText());
        assertEquals("boolq", sets.get(1).get("name").asText());
        Set<String> distinct = new HashSet<>();
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdaptedModel adapted = Adapters.load(lm.model(), adapter);
            for (JsonNode set : sets) {
                String prompt = LlmAdaptersData.read(Path.of(set.get("data").asText())).get(0)
                        .prompt(PromptTemplate.EVALUATION);
                GateStatistics expected;
                try (GateRecorder gates = GateRecorder.attach(adapted)) {
                    lm.logits(prompt);
                    expected = gates.statistics();
                }
                int promptTokens = lm.tokenizer().encode(prompt).length;
                JsonNode modules = set.get("modules");
                assertEquals(expected.modules(), names(modules));
                assertEquals(4, modules.size());
                for (String module : expected.modules()) {
                    JsonNode m = modules.get(module);
                    assertEquals(promptTokens, m.get("tokens").asInt(), module);
                    double[] gate = doubles(m.get("gate"));
                    assertArrayEquals(expected.mean(module), gate, 0, module);
                    double sum = 0;
                    for (double g : gate) {
                        assertTrue(g > 0 && g < 1, module + ": " + g);
                        sum += g;
                    }
                    assertEquals(1, sum, 1e-6, module);
                    distinct.add(m.get("gate").toString());
                }
                JsonNode kinds = set.get("kinds");
                assertEquals(List.of(KINDS), names(kinds));
                for (String kind : KINDS) {
                    assertEquals("[0,1]", kinds.get(kind).get("layers").toString());
                    for (int layer = 0; layer < 2; layer++) {
                        String module = "model.layers." + layer + ".self_attn." + kind;
                        assertEquals(modules.get(module).get("gate"), kinds.get(kind).get("gates").get(layer));
                    }
                }
            }
        }
        assertEquals(8, distinct.size(), "every module and task routes differently: " + distinct);

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(2 * 520, image.getWidth(), "one panel per kind");
        assertEquals(2 * (140 + 22 * 2), image.getHeight(), "one row per task, 22 px per layer");
        assertNotEquals(image.getRGB(10, 10), image.getRGB(260, 92), "cells are drawn");
    }

    /** --data: one test set (E2E here), named after its file; --json alone. */
    @Test
    void oneTestSetFromData() throws Exception {
        Path adapter = moSaraAdapter();
        Path json = dir.resolve("e2e.json");
        CliRunner.Result r = CliRunner.run("routes", "--model", SharedData.tinyStories().toString(), "--adapter",
                adapter.toString(), "--data", SharedData.require("data/e2e/valid.txt").toString(), "--json",
                json.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode sets = new ObjectMapper().readTree(json.toFile()).get("tasks");
        assertEquals(1, sets.size());
        assertEquals("valid", sets.get(0).get("name").asText());
        assertEquals(2, sets.get(0).get("kinds").get("v_proj").get("gates").size());
        assertEquals(3, sets.get(0).get("kinds").get("v_proj").get("gates").get(1).size());
    }

    @Test
    void refusesWhatItCannotMap() throws Exception {
        Path model = SharedData.tinyStories();
        Path sara = dir.resolve("sara");
        try (LanguageModel lm = LanguageModel.load(model)) {
            Adapters.inject(lm.model(), SaraConfig.of(TargetMatcher.names(KINDS))).save(sara);
        }
        Path data = SharedData.require("data/llm-adapters/AddSub/test.json");
        CliRunner.Result notMoSara = CliRunner.run("routes", "--model", model.toString(), "--adapter", sara.toString(),
                "--data", data.toString(), "--json", dir.resolve("r.json").toString());
        assertEquals(1, notMoSara.exitCode());
        assertTrue(notMoSara.err().contains("--adapter " + sara + " is a SARA adapter; only Mo-SARA"),
                notMoSara.err());

        Path adapter = moSaraAdapter();
        CliRunner.Result noOutput = CliRunner.run("routes", "--model", model.toString(), "--adapter",
                adapter.toString(), "--data", data.toString());
        assertEquals(1, noOutput.exitCode());
        assertTrue(noOutput.err().contains("give --out (the heatmaps) or --json"), noOutput.err());

        Path copy = dir.resolve("test.json");
        Files.copy(data, copy);
        CliRunner.Result overInput = CliRunner.run("routes", "--model", model.toString(), "--adapter",
                adapter.toString(), "--data", copy.toString(), "--json", copy.toString());
        assertEquals(1, overInput.exitCode());
        assertTrue(overInput.err().contains("is the input --data"), overInput.err());
        assertEquals(Files.readString(data), Files.readString(copy), "the input is untouched");

        CliRunner.Result both = CliRunner.run("routes", "--model", model.toString(), "--adapter", adapter.toString(),
                "--data", data.toString(), "--per-task", dir.toString(), "--json", dir.resolve("r.json").toString());
        assertEquals(2, both.exitCode(), "picocli refuses --data with --per-task");

        Path none = Files.createDirectories(dir.resolve("none"));
        Files.writeString(none.resolve("test.json"), "[]");
        CliRunner.Result empty = CliRunner.run("routes", "--model", model.toString(), "--adapter", adapter.toString(),
                "--per-task", none.toString(), "--out", dir.resolve("r.png").toString());
        assertEquals(1, empty.exitCode());
        assertTrue(empty.err().contains("has no <task>/test.json"), empty.err());
        CliRunner.Result inside = CliRunner.run("routes", "--model", model.toString(), "--adapter", adapter.toString(),
                "--per-task", none.toString(), "--out", none.resolve("r.png").toString());
        assertEquals(1, inside.exitCode());
        assertTrue(inside.err().contains("lies inside the input --per-task"), inside.err());
    }

    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
