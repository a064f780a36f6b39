package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapter option values out of range fail before any work: the model and data named here do not exist, so an error
 * naming the option (not the missing model) and no run folder show that the check came first.
 */
class AdapterOptionValuesTest {

    private static CliRunner.Result finetune(Path tmp, String... adapterArgs) {
        String[] head = {"finetune", "--model", tmp.resolve("no-model").toString(), "--data",
            tmp.resolve("no-data.txt").toString(), "--out", tmp.resolve("run").toString()};
        String[] args = new String[head.length + adapterArgs.length];
        System.arraycopy(head, 0, args, 0, head.length);
        System.arraycopy(adapterArgs, 0, args, head.length, adapterArgs.length);
        return CliRunner.run(args);
    }

    @Test
    void nanDropoutFailsNamingDropoutBeforeAnyWork(@TempDir Path tmp) {
        CliRunner.Result r = finetune(tmp, "--method", "lora", "--dropout", "NaN");
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("dropout must be in [0, 1), got NaN"), r.err());
        assertFalse(r.err().contains("no-model"), r.err());
        assertFalse(Files.exists(tmp.resolve("run")));
    }

    @Test
    void everyCommonOptionIsRangeChecked(@TempDir Path tmp) {
        String[][] cases = {
            {"alpha must be a finite number > 0, got Infinity", "--method", "lora", "--alpha", "Infinity"},
            {"r must be >= 1, got 0", "--method", "sora", "--r", "0"},
            {"threshold must be in (0, 1], got 1.5", "--method", "sara", "--threshold", "1.5"},
            {"heads must be >= 1, got 0", "--method", "mosara", "--heads", "0"},
            {"dropout must be in [0, 1), got 1.0", "--method", "sara", "--dropout", "1"},
            {"init_sigma must be a finite number >= 0, got NaN", "--method", "edora", "--method-option",
                "init_sigma=NaN"},
            {"use_rslora' must be true or false", "--method", "lora", "--method-option", "use_rslora=yes"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            CliRunner.Result r = finetune(tmp, args);
            assertEquals(1, r.exitCode(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().contains(c[0]), String.join(" ", args) + ": " + r.err());
            assertFalse(Files.exists(tmp.resolve("run")));
        }
    }
}
