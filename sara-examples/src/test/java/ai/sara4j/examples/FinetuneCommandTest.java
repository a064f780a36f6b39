package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./sara finetune} and {@code ./sara bench train} end to end on tinystories-656k. */
class FinetuneCommandTest {

    @Test
    void finetuneWritesAdapterMetricsChartAndResumes(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 12));
        Path run = tmp.resolve("run");
        String[] args = {"finetune", "--model", SharedData.tinyStories().toString(), "--data", data.toString(),
                "--method", "sara", "--threshold", "0.2", "--targets", "q_proj,v_proj", "--max-steps", "3",
                "--batch-size", "4", "--max-len", "48", "--warmup", "1", "--save-every", "2", "--out", run.toString()};
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("12 examples"), r.err());
        assertTrue(r.err().contains("truncated at --max-len 48"), r.err());
        assertTrue(Files.isRegularFile(run.resolve("loss.png")));
        assertEquals("SARA", PeftConfig.read(run.resolve("adapter")).peftType());
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        JsonNode last = Json.MAPPER.readTree(lines.get(2));
        assertEquals(3, last.get("step").asInt());
        for (String field : List.of("epoch", "loss", "lr", "grad_norm", "tokens", "tokens_per_s", "skipped")) {
            assertTrue(last.has(field), field + " in " + last);
        }
        assertTrue(Files.isDirectory(run.resolve("checkpoints/step-000003")));
        assertTrue(Files.isDirectory(run.resolve("checkpoints/step-000002"))); // --keep-checkpoints 2

        CliRunner.Result again = CliRunner.run(args);
        assertEquals(1, again.exitCode());
        assertTrue(again.err().contains("--resume"), again.err());
        // a resume with another setting is refused, naming it and both values
        CliRunner.Result otherLength = CliRunner.run(with(args, "--max-len", "40", "--resume"));
        assertEquals(1, otherLength.exitCode());
        assertTrue(otherLength.err().contains("data.maxLength = 48, this run has data.maxLength = 40"),
                otherLength.err());
        CliRunner.Result otherDropout = CliRunner.run(with(args, "--dropout", "0.2", "--resume"));
        assertEquals(1, otherDropout.exitCode());
        assertTrue(otherDropout.err().contains("dropout = 0.05, this run has adapter."), otherDropout.err());
        Path otherData = tmp.resolve("other.txt"); // as many lines, other ones
        Files.write(otherData, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(12, 24));
        CliRunner.Result otherLines = CliRunner.run(with(args, "--data", otherData.toString(), "--resume"));
        assertEquals(1, otherLines.exitCode());
        assertTrue(otherLines.err().contains("it was trained with data.file = "), otherLines.err());
        assertEquals(lines, Files.readAllLines(run.resolve("metrics.jsonl"))); // refusals change nothing

        // a run killed before its first checkpoint: --resume starts it over
        AtomicFiles.deleteRecursively(run.resolve("checkpoints"));
        AtomicFiles.deleteRecursively(run.resolve("adapter"));
        CliRunner.Result over = CliRunner.run(with(args, "--resume"));
        assertEquals(0, over.exitCode(), over.err());
        assertEquals(3, Files.readAllLines(run.resolve("metrics.jsonl")).size());
        assertEquals("SARA", PeftConfig.read(run.resolve("adapter")).peftType());
        CliRunner.Result wrongOption = CliRunner.run("finetune", "--model", SharedData.tinyStories().toString(),
                "--data", data.toString(), "--method", "lora", "--threshold", "0.1", "--out", tmp.resolve("x").toString());
        assertEquals(1, wrongOption.exitCode());
        assertTrue(wrongOption.err().contains("option 'threshold' does not apply to method lora"), wrongOption.err());
    }

    /** Each bad input fails before the model loads, with a message naming the option, file or record. */
    @Test
    void badInputsAreNamed(@TempDir Path tmp) throws IOException {
        String model = SharedData.tinyStories().toString();
        Path data = Files.writeString(tmp.resolve("train.json"), "[{\"instruction\": \"a\", \"output\": \"b\"}]");
        Path file = Files.writeString(tmp.resolve("notes.txt"), "mine");
        assertRefused(List.of("--data", data.toString(), "--out", file.toString()),
                "--out " + file + " is a file, not a folder");
        assertEquals("mine", Files.readString(file));
        assertRefused(List.of("--data", data.toString(), "--out", data.toString()), "is the input --data");
        assertRefused(List.of("--data", data.toString(), "--out", tmp.resolve("new").toString(), "--resume"),
                "--resume: --out " + tmp.resolve("new") + " is not a run folder of ./sara finetune");
        assertRefused(List.of("--data", data.toString(), "--out", tmp.resolve("run").toString(), "--method", "qlora"),
                "method 'qlora' (known: lora, sara, mosara, sora, edora)");
        Path folder = Files.createDirectories(tmp.resolve("dir.json"));
        assertRefused(List.of("--data", folder.toString(), "--out", tmp.resolve("run").toString()),
                folder + ": is a folder, not a data file");
        Path noOutput = Files.writeString(tmp.resolve("no-output.json"),
                "[{\"instruction\": \"a\", \"output\": \"b\"}, {\"instruction\": \"c\"}]");
        assertRefused(List.of("--data", noOutput.toString(), "--out", tmp.resolve("run").toString()),
                noOutput + ": record 1: missing field 'output'");
        assertTrue(Files.notExists(tmp.resolve("run")) && Files.notExists(tmp.resolve("new")), "nothing created");
        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("a.txt"), "a");
        assertRefused(List.of("--data", data.toString(), "--out", foreign.toString()),
                "holds files that ./sara finetune did not write (a.txt)");
    }

    private static void assertRefused(List<String> args, String expected) {
        List<String> all = new ArrayList<>(List.of("finetune", "--model",
                SharedData.tinyStories().toString(), "--lr", "1e-3"));
        all.addAll(args);
        if (args.contains("--method")) {
            all.remove("--lr");
            all.remove("1e-3");
        }
        CliRunner.Result r = CliRunner.run(all.toArray(String[]::new));
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    /** {@code args} with {@code extra} options set (replacing an option's value when it is already there). */
    private static String[] with(String[] args, String... extra) {
        List<String> out = new ArrayList<>(List.of(args));
        for (int i = 0; i < extra.length; i++) {
            boolean flag = i + 1 >= extra.length || extra[i + 1].startsWith("--");
            int at = out.indexOf(extra[i]);
            if (flag) {
                out.add(extra[i]);
            } else if (at >= 0) {
                out.set(at + 1, extra[++i]);
            } else {
                out.add(extra[i]);
                out.add(extra[++i]);
            }
        }
        return out.toArray(String[]::new);
    }

    /** Numeric options out of range are refused before any work, naming the option. */
    @Test
    void outOfRangeOptionsAreRefusedBeforeAnyWork(@TempDir Path tmp) {
        Path run = tmp.resolve("run");
        String[][] cases = {{"--max-steps", "0", "--max-steps must be >= 1, got 0"},
            {"--max-steps", "-2", "--max-steps must be >= 1, got -2"},
            {"--epochs", "0", "--epochs must be >= 1, got 0"},
            {"--lr", "NaN", "--lr must be finite and > 0, got NaN"},
            {"--weight-decay", "-1", "--weight-decay must be finite and >= 0, got -1.0"},
            {"--max-grad-norm", "Infinity", "--max-grad-norm must be finite and >= 0, got Infinity"},
            {"--batch-size", "0", "--batch-size must be >= 1, got 0"},
            {"--warmup", "-1", "--warmup must be >= 0, got -1"},
            {"--label-smoothing", "1", "--label-smoothing must be in [0, 1), got 1.0"},
            {"--label-smoothing", "-0.1", "--label-smoothing must be in [0, 1), got -0.1"},
            {"--label-smoothing", "NaN", "--label-smoothing must be in [0, 1), got NaN"},
            {"--keep-checkpoints", "0", "--keep-checkpoints must be >= 1, got 0"}};
        for (String[] c : cases) {
            CliRunner.Result r = CliRunner.run("finetune", "--model", tmp.resolve("no-model").toString(), "--data",
                    tmp.resolve("no-data.txt").toString(), "--method", "lora", c[0], c[1], "--out", run.toString());
            assertEquals(1, r.exitCode(), r.err());
            assertTrue(r.err().contains(c[2]), c[0] + " " + c[1] + ": " + r.err());
            assertFalse(Files.exists(run), c[0]);
        }
    }

    /** The default warm-up (100) under --max-steps 4 becomes a tenth of the run: the first update is at the peak. */
    @Test
    void warmupLongerThanTheRunIsCut(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 8));
        Path run = tmp.resolve("run");
        CliRunner.Result r = CliRunner.run("finetune", "--model", SharedData.tinyStories().toString(), "--data",
                data.toString(), "--method", "lora", "--r", "2", "--max-steps", "4", "--batch-size", "4",
                "--max-len", "48", "--out", run.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<Double> rates = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            rates.add(Json.MAPPER.readTree(line).get("lr").asDouble());
        }
        double[] want = {3e-4, 3e-4 * 0.75, 3e-4 * 0.5, 3e-4 * 0.25}; // LoRA's paper rate, then linear decay
        assertEquals(want.length, rates.size());
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], rates.get(i), 1e-15, "update " + (i + 1));
        }
    }

    /** finetune --exclude/--layers: the adapter holds layer 1's q_proj and v_proj only, and its config says why. */
    @Test
    void excludeAndLayersPickTheAdaptedModules(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 4));
        CliRunner.Result r = CliRunner.run("finetune", "--model", SharedData.tinyStories().toString(), "--data",
                data.toString(), "--method", "lora", "--r", "2", "--targets", "q_proj,k_proj,v_proj", "--exclude",
                "re:.*\\.k_proj", "--layers", "1", "--max-steps", "1", "--batch-size", "4", "--max-len", "48",
                "--out", tmp.resolve("run").toString());
        assertEquals(0, r.exitCode(), r.err());
        Path adapter = tmp.resolve("run/adapter");
        try (SafetensorsFile weights = SafetensorsFile.open(adapter.resolve("adapter_model.safetensors"))) {
            assertEquals(List.of("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"),
                    weights.tensors().keySet().stream().sorted().toList());
        }
        assertEquals(TargetMatcher.parse("q_proj,k_proj,v_proj").withExcludeRegex(".*\\.k_proj")
                .withLayers(List.of(1), List.of()), PeftConfig.read(adapter).targetModules());
    }

    @Test
    void matchedBudgetRecordsTheThresholdThatGaveTheRanks(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 4));
        Path model = SharedData.tinyStories();
        CliRunner.Result r = CliRunner.run("finetune", "--model", model.toString(), "--data", data.toString(),
                "--method", "sara", "--match-lora-r", "8", "--targets", "q_proj,v_proj", "--max-steps", "1",
                "--batch-size", "4", "--max-len", "48", "--out", tmp.resolve("run").toString());
        assertEquals(0, r.exitCode(), r.err());
        CliRunner.Result plan = CliRunner.run("plan", "--model", model.toString(), "--method", "sara",
                "--match-lora-r", "8", "--json");
        JsonNode planned = Json.MAPPER.readTree(plan.out());
        PeftConfig saved = PeftConfig.read(tmp.resolve("run/adapter"));
        assertEquals(planned.get("threshold").asDouble(), saved.extension().orElseThrow().get("threshold").asDouble());
        planned.get("modules").forEach(m -> assertEquals(m.get("k").asInt(),
                saved.rankPattern().get(m.get("name").asText()), m.toString()));
    }

    @Test
    void soraRunsItsProximalStepAndChartsLiveRanks(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 8));
        Path run = tmp.resolve("run");
        // ξ large enough that lr·ξ (3e-3 · 100 = 0.3) exceeds some of the N(0, 1) gates: ranks must drop
        CliRunner.Result r = CliRunner.run("finetune", "--model", SharedData.tinyStories().toString(), "--data",
                data.toString(), "--method", "sora", "--r", "8", "--lr", "3e-3", "--method-option", "xi=100",
                "--max-steps", "4", "--warmup", "0", "--batch-size", "4", "--out", run.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        double first = Json.MAPPER.readTree(lines.get(0)).get("live_rank/total").asDouble();
        double last = Json.MAPPER.readTree(lines.get(lines.size() - 1)).get("live_rank/total").asDouble();
        assertTrue(first <= 32 && last < first, "live rank " + first + " -> " + last);
        assertTrue(Files.isRegularFile(run.resolve("rank.png")));

        Path exported = tmp.resolve("peft");
        // no --model: the adapter records the base it was trained on
        CliRunner.Result export = CliRunner.run("export", "--adapter", run.resolve("adapter").toString(),
                "--out", exported.toString());
        assertEquals(0, export.exitCode(), export.err());
        assertEquals("LORA", PeftConfig.read(exported).peftType());
    }

    @Test
    void benchTrainReportsSpeedAndMemory(@TempDir Path tmp) throws IOException {
        Path saved = tmp.resolve("adapter");
        CliRunner.Result r = CliRunner.run("bench", "train", "--model", SharedData.tinyStories().toString(),
                "--method", "lora", "--r", "4", "--batch-size", "2", "--seq-len", "16", "--steps", "2",
                "--save-adapter", saved.toString(), "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode json = Json.MAPPER.readTree(r.out());
        // the phases of a scale run: load, adapter set-up, steps, save, and the memory after loading
        assertTrue(json.get("load_s").asDouble() > 0 && json.get("save_s").asDouble() > 0, r.out());
        assertTrue(json.get("rss_after_load_bytes").asLong() > 0, r.out());
        assertEquals("LORA", PeftConfig.read(saved).peftType());
        assertTrue(json.get("tokens_per_s").asDouble() > 0, r.out());
        assertTrue(json.get("step_ms").asDouble() > 0, r.out());
        assertEquals(2 * 4 * (128 + 128) + 2 * 4 * (128 + 64), json.get("trainable").asLong()); // q 128→128, v 128→64
        assertTrue(json.get("peak_memory_bytes").asLong() >= json.get("rss_end_bytes").asLong(), r.out());
    }
}
