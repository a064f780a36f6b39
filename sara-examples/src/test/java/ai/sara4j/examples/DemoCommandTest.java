package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
