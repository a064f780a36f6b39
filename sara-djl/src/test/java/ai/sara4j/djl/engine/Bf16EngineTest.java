package ai.sara4j.djl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the PyTorch engine of DJL does with BFLOAT16, each experiment in a child JVM ({@link Bf16Probe}) since the
 * answer is an abort of the whole process: DJL's JNI maps DJL dtype ordinals 0-8 (float32 ... complex64) to torch
 * scalar types and ends every other one, BFLOAT16 (ordinal 11) included, in a bare C++ {@code throw;}, which
 * terminates the JVM. When this test fails, a DJL upgrade has mapped BF16 and a BF16 base dtype becomes possible
 * (docs/models.md).
 */
class Bf16EngineTest {

    private static String probe(String experiment, int expectedExit) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-Xmx256m", "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                Bf16Probe.class.getName(), experiment).redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), experiment + ": child did not end");
        assertEquals(expectedExit, child.exitValue(), experiment + " exit status; output:\n" + out);
        // the FP32 control step ran: the child died at the BF16 step, not before
        assertTrue(out.contains("ok fp32 float32"), out);
        return out;
    }

    /** Both ways of making a BF16 tensor through DJL abort the JVM (SIGABRT, exit status 134). */
    @Test
    void creatingBf16AbortsTheJvm() throws Exception {
        for (String experiment : List.of("buffer", "toType")) {
            String out = probe(experiment, 134);
            assertTrue(out.contains("terminate called without an active exception"), out);
            assertTrue(!out.contains("ok created") && !out.contains("ok converted"), out);
        }
    }

    /**
     * A BF16 tensor made inside TorchScript reaches Java as dtype UNKNOWN: matmul, add and a cast back to FP32 work
     * (the matmul is exact for these small integers), but the first op that passes the tensor's own dtype to the JNI
     * (softmax) aborts.
     */
    @Test
    void scriptedBf16DiesAtSoftmax() throws Exception {
        String out = probe("scripted", 134);
        List<String> steps = out.lines().filter(l -> l.startsWith("ok ")).toList();
        assertEquals(List.of("ok fp32 float32", "ok scripted unknown", "ok matmul [7.0, 10.0, 15.0, 22.0]",
                "ok add unknown"), steps, out);
        assertTrue(out.contains("terminate called without an active exception"), out);
    }
}
