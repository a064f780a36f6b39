package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.recipe.Recipes;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./sara recipes} and {@code ./sara finetune --recipe}: listing, overrides, refusals. */
class RecipesCommandTest {

    @Test
    void listsEveryRecipeWithItsSourceValuesAndWhatTheSourceLeavesOpen() {
        CliRunner.Result r = CliRunner.run("recipes");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("NAME +METHOD +TASK +MODEL +SOURCE +VALUES"), lines.get(0));
        for (String name : Recipes.names()) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(name + " ")), name + " has a row");
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(name + ": ")), name + " has a notes line");
        }
        assertEquals(2 * Recipes.names().size() + 5, lines.size(), r.out()); // header, rows, notes, usage
        String e2e = lines.stream().filter(l -> l.startsWith("sara-e2e ")).findFirst().orElseThrow();
        assertTrue(e2e.matches("sara-e2e +sara +e2e +GPT-2 Medium +SARA paper \\(Gu et al\\. 2024\\), Table 7 +"
                + "--threshold 0\\.012 --lr 0\\.008 --epochs 5 --batch-size 16 --warmup 500 --weight-decay 0\\.01"
                + " --label-smoothing 0\\.1 --seed 314"), e2e);
        String lora = lines.stream().filter(l -> l.startsWith("lora-math-llama13b ")).findFirst().orElseThrow();
        assertTrue(lora.matches(".* Table 5 +--r 10 --alpha 20 --dropout 0\\.05 --lr 0\\.0003 --epochs 3"
                + " --batch-size 16 --warmup 100 --seed 42"), lora);
        assertTrue(r.out().contains("\nsara-e2e: defaults --max-grad-norm 1; Table 7 gives no dropout"), r.out());
        assertTrue(r.out().contains("\nsara-commonsense-llama7b: defaults --weight-decay 0 --label-smoothing 0"
                + " --max-grad-norm 1 --seed 42; Table 6 gives no training seed"), r.out());
        assertTrue(r.out().contains("\nedora-glue: defaults no --lr (pass one) --warmup 100"), r.out());
    }

    @Test
    void jsonHoldsTheValuesAndNamedOnesOnly() throws IOException {
        CliRunner.Result r = CliRunner.run("recipes", "--json", "mosara-e2e", "sora-glue");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode all = Json.MAPPER.readTree(r.out());
        assertEquals(2, all.size());
        JsonNode mosara = all.get(0);
        assertEquals("mosara-e2e", mosara.get("name").asText());
        assertEquals("SARA paper (Gu et al. 2024), Table 7", mosara.get("source").asText());
        assertEquals(3, mosara.at("/adapter/heads").asInt());
        assertEquals(0.07, mosara.at("/training/learningRate").asDouble());
        assertEquals(0.1, mosara.at("/training/labelSmoothing").asDouble());
        assertEquals(314, mosara.at("/training/seed").asInt());
        assertTrue(mosara.at("/adapter/dropout").isMissingNode(), "Table 7 has no dropout");
        assertEquals(1.0, mosara.at("/defaults/maxGradNorm").asDouble());
        assertEquals("0.375", all.get(1).at("/methodOptions/xi").asText());
        assertEquals(0.1, all.get(1).at("/training/maxGradNorm").asDouble());
    }

    @Test
    void anUnknownRecipeIsRefusedListingTheNames(@TempDir Path tmp) {
        CliRunner.Result list = CliRunner.run("recipes", "sara-e2");
        assertEquals(1, list.exitCode());
        assertTrue(list.err().contains("unknown recipe 'sara-e2' (known: " + String.join(", ", Recipes.names()) + ")"),
                list.err());
        CliRunner.Result train = CliRunner.run("finetune", "--recipe", "sara-e2", "--model", tmp.toString(), "--data",
                tmp.resolve("d.txt").toString(), "--out", tmp.resolve("run").toString());
        assertEquals(1, train.exitCode());
        assertTrue(train.err().contains("unknown recipe 'sara-e2' (known: sara-math-llama7b, "), train.err());
        assertTrue(Files.notExists(tmp.resolve("run")));
    }

    @Test
    void explicitOptionsOverrideTheRecipeEvenAtTheirDefaults(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 8));
        Path run = tmp.resolve("run");
        // --seed 42 and --weight-decay 0 are the options' defaults: given, they still replace the recipe's 314, 0.01
        CliRunner.Result r = CliRunner.run("finetune", "--recipe", "mosara-e2e", "--model",
                SharedData.tinyStories().toString(), "--data", data.toString(), "--max-steps", "1", "--batch-size", "4",
                "--max-len", "48", "--lr", "1e-2", "--dropout", "0.1", "--seed", "42", "--weight-decay", "0",
                "--out", run.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("recipe mosara-e2e (SARA paper (Gu et al. 2024), Table 7; e2e, GPT-2 Medium):"
                + " --threshold 0.5 --heads 3 --lr 0.07"), r.err());
        String overrides = "--max-steps 1, --batch-size 4, --lr 1e-2, --dropout 0.1, --seed 42, --weight-decay 0";
        assertTrue(r.err().contains("; overridden: " + overrides + "\n"), r.err());
        JsonNode fingerprint = Json.MAPPER.readTree(run.resolve("run.json").toFile()).get("fingerprint");
        assertEquals("mosara-e2e", fingerprint.get("recipe").asText());
        assertEquals(overrides, fingerprint.get("recipe.overrides").asText());
        // overridden
        assertEquals("0.01", fingerprint.get("options.learningRate").asText());
        assertEquals("1", fingerprint.get("options.maxSteps").asText());
        assertEquals("4", fingerprint.get("options.batchSize").asText());
        assertEquals("42", fingerprint.get("options.seed").asText());
        assertEquals("0.0", fingerprint.get("options.weightDecay").asText());
        assertEquals("0.1", fingerprint.get("adapter.lora_dropout").asText());
        assertEquals("42", fingerprint.get("adapter.sara4j.seed").asText());
        // the recipe's (Table 7)
        assertEquals("500", fingerprint.get("options.warmupSteps").asText());
        assertEquals("0.1", fingerprint.get("options.labelSmoothing").asText());
        assertEquals("mosara", fingerprint.get("adapter.sara4j.method").asText());
        assertEquals("0.5", fingerprint.get("adapter.sara4j.threshold").asText());
        assertEquals("3", fingerprint.get("adapter.sara4j.heads").asText());
        assertEquals("[\"q_proj\",\"v_proj\"]", fingerprint.get("adapter.target_modules").asText());
        // the defaults, where Table 7 says nothing
        assertEquals("1.0", fingerprint.get("options.maxGradNorm").asText());
    }

    @Test
    void aRecipesUnsetValuesAndItsMethodAreHonoured(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 4));
        String model = SharedData.tinyStories().toString();
        List<String> base = List.of("finetune", "--model", model, "--data", data.toString(), "--out",
                tmp.resolve("run").toString());
        CliRunner.Result method = run(base, "--recipe", "sara-e2e", "--method", "lora");
        assertEquals(1, method.exitCode());
        assertTrue(method.err().contains("--method lora does not go with --recipe sara-e2e, a sara recipe"),
                method.err());
        CliRunner.Result noLr = run(base, "--recipe", "edora-glue");
        assertEquals(1, noLr.exitCode());
        assertTrue(noLr.err().contains("recipe edora-glue gives no learning rate; pass --lr"), noLr.err());
        CliRunner.Result badOverride = run(base, "--recipe", "sara-e2e", "--label-smoothing", "1");
        assertEquals(1, badOverride.exitCode());
        assertTrue(badOverride.err().contains("--label-smoothing must be in [0, 1), got 1.0"), badOverride.err());
        assertTrue(Files.notExists(tmp.resolve("run")), "refused before any work");

        // the same method given explicitly is fine; a SoRA recipe's method option is merged with the given ones
        CliRunner.Result sora = run(base, "--recipe", "sora-glue", "--method", "sora", "--max-steps", "1",
                "--max-len", "48", "--method-option", "xi_schedule=linear", "--method-option", "xi_max=1",
                "--method-option", "xi_stages=2", "--method-option", "xi_stage_steps=1");
        assertEquals(0, sora.exitCode(), sora.err());
        JsonNode fingerprint = Json.MAPPER.readTree(tmp.resolve("run/run.json").toFile()).get("fingerprint");
        assertEquals("0.375", fingerprint.get("adapter.sara4j.xi").asText());
        assertEquals("linear", fingerprint.get("adapter.sara4j.xi_schedule").asText());
        assertEquals("8", fingerprint.get("adapter.r").asText());
        assertEquals("8", fingerprint.get("options.batchSize").asText());
        assertEquals("0.1", fingerprint.get("options.maxGradNorm").asText());
        assertEquals("8.0E-4", fingerprint.get("options.learningRate").asText());
    }

    private static CliRunner.Result run(List<String> base, String... more) {
        List<String> args = new ArrayList<>(base);
        args.addAll(List.of(more));
        return CliRunner.run(args.toArray(String[]::new));
    }
}
