package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.io.OutputFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo end to end with few steps: it needs nothing from ../shared, and it fails by itself when the merged model
 * answers differently from base + adapter.
 */
class DemoCommandTest {

    @Test
    void runsEveryStepAndWritesItsFiles(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("demo");
        CliRunner.Result r = CliRunner.run("demo", "--out", out.toString(), "--base-steps", "40", "--sara-steps", "20");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("the merged model gives the same answer as base + adapter on 100 of 100"), r.out());
        for (String file : new String[] {"init-model/tokenizer.json", "base-model/model.safetensors", "ranks.png",
                "sara-run/adapter/adapter_model.safetensors", "sara-run/metrics.jsonl", "sara-run/loss.png",
                "merged-model/config.json"}) {
            assertTrue(Files.exists(out.resolve(file)), file);
        }
        assertEquals(20, Files.readAllLines(out.resolve("sara-run/metrics.jsonl")).size());
    }

    /**
     * Same seed, same data → the same curve, gradient norms included. (Runs once differed, with an occasional NaN:
     * backward read constants that DJL had already freed, see BackwardAfterGcTest. That depended on timing and the
     * garbage collector, so this test checks determinism as such and would catch such a bug only when it strikes.)
     */
    @Test
    void twoRunsGiveIdenticalMetrics(@TempDir Path tmp) throws Exception {
        List<List<String>> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path out = tmp.resolve("demo" + i);
            CliRunner.Result r = CliRunner.run("demo", "--out", out.toString(), "--base-steps", "12",
                    "--sara-steps", "4");
            assertEquals(0, r.exitCode(), r.err());
            List<String> lines = new ArrayList<>();
            for (String file : new String[] {"base-run/metrics.jsonl", "sara-run/metrics.jsonl"}) {
                for (String line : Files.readAllLines(out.resolve(file))) {
                    // everything but the timing fields
                    lines.add(line.replaceAll("\"tokens_per_s\":[^,}]*", ""));
                }
            }
            runs.add(lines);
        }
        assertFalse(String.join("\n", runs.get(0)).contains("NaN"), String.join("\n", runs.get(0)));
        assertEquals(runs.get(0), runs.get(1));
        assertEquals(runs.get(0), runs.get(2));
    }

    @Test
    void runningAgainReplacesThePreviousDemoButNotSomeoneElsesFiles(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("demo");
        String[] args = {"demo", "--out", out.toString(), "--base-steps", "12", "--sara-steps", "4"};
        assertEquals(0, CliRunner.run(args).exitCode());
        Files.writeString(out.resolve("notes.txt"), "mine");
        CliRunner.Result again = CliRunner.run(args);
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("Replacing the previous demo run"), again.out());
        assertEquals(4, Files.readAllLines(out.resolve("sara-run/metrics.jsonl")).size()); // a fresh run, not 8 lines
        assertEquals("mine", Files.readString(out.resolve("notes.txt"))); // not one of the demo's files
        assertEquals(Optional.of("demo"), OutputFolder.kindOf(out));

        Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("data.csv"), "1,2");
        CliRunner.Result refused = CliRunner.run("demo", "--out", foreign.toString(), "--base-steps", "12",
                "--sara-steps", "4");
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().contains("--out " + foreign + " holds files that ./sara demo did not write"),
                refused.err());
        assertEquals(List.of(foreign.resolve("data.csv")), Files.list(foreign).toList());
    }
}
