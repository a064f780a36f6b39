package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.sara4j.core.testing.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Normal use on a CPU prints no engine noise on stderr: a fresh JVM runs the command line (with its own logging
 * configuration and {@code EngineSettings}, the environment's DJL variables removed) to load tinystories-656k,
 * inject SARA, train one step and save, and another loads the saved adapter and generates. Neither may print DJL's
 * CUDA probe warning ("CUDA driver version is insufficient", on machines with a CUDA runtime but no driver) or a
 * libtorch warning such as "AutoNonVariableTypeMode is deprecated" (DJL's {@code NDArray.set(Buffer)}, which adapter
 * loading used to call). Skipped when ../shared is absent.
 */
class QuietStderrTest {
    /** libtorch's warnings: {@code [W1202 00:44:57.222348999 LegacyTypeDispatch.h:74] Warning: …}. */
    private static final Pattern LIBTORCH_WARNING = Pattern.compile("(?m)^\\[W\\d{4} .*\\] Warning:");

    private static String run(Path tmp, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), SaraCli.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("stdout.txt").toFile())
                .redirectError(tmp.resolve("stderr.txt").toFile());
        pb.environment().remove("DJL_OFFLINE");
        pb.environment().remove("OPT_OUT_TRACKING");
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("sara " + String.join(" ", args) + " did not finish in 300 s");
        }
        String err = Files.readString(tmp.resolve("stderr.txt"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        return err;
    }

    private static void assertQuiet(String what, String err) {
        assertFalse(err.contains("CUDA driver version is insufficient"), what + ": " + err);
        assertFalse(err.contains("AutoNonVariableTypeMode"), what + ": " + err);
        assertFalse(LIBTORCH_WARNING.matcher(err).find(), what + ": " + err);
        assertFalse(err.contains("[WARN]"), what + ": " + err);
    }

    @Test
    void loadInjectTrainSaveAndReloadPrintNoEngineWarnings(@TempDir Path tmp) throws Exception {
        Path model = SharedData.tinyStories();
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 4));
        Path run = tmp.resolve("run");
        String train = run(tmp, "finetune", "--model", model.toString(), "--data", data.toString(), "--method",
                "sara", "--threshold", "0.2", "--targets", "q_proj,v_proj", "--max-steps", "1", "--warmup", "0", "--batch-size", "4",
                "--max-len", "256", "--device", "cpu", "--out", run.toString());
        assertQuiet("finetune", train);
        String generate = run(tmp, "generate", "--adapter", run.resolve("adapter").toString(), "--prompt",
                "Once upon a time", "--max-new-tokens", "4", "--device", "cpu");
        assertQuiet("generate --adapter", generate);
    }
}
