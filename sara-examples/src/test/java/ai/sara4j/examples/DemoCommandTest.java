package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
     * Same seed, same data → the same curve, gradient norms included. With two libtorch inter-op threads the
     * backward pass raced in about half of fresh command-line runs (norms differed between runs and were now and then
     * NaN); the CLI and the test configuration pin one. The race is timing-dependent, so this test checks
     * determinism as such and catches the race only when it strikes.
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
}
