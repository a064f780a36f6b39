package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.testing.SharedData;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Numeric options out of range (NaN and infinities included) fail before any work, naming the option. */
class NumericOptionsTest {
    private static void assertRefused(String expected, String... args) {
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    @Test
    void generateEvalBenchPlanAndDemoNameTheOption(@TempDir Path tmp) {
        String model = SharedData.tinyStories().toString();
        assertRefused("--temperature must be a finite number >= 0, got NaN",
                "generate", "--model", model, "--prompt", "x", "--temperature", "NaN");
        assertRefused("--temperature must be a finite number >= 0, got Infinity",
                "generate", "--model", model, "--prompt", "x", "--temperature", "Infinity");
        assertRefused("--top-p must be in (0, 1], got 1.5", "generate", "--model", model, "--prompt", "x",
                "--top-p", "1.5");
        assertRefused("--max-new-tokens must be >= 0, got -1", "generate", "--model", model, "--prompt", "x",
                "--max-new-tokens", "-1");
        String out = tmp.resolve("eval.json").toString();
        assertRefused("--batch-size must be >= 1, got 0", "eval", "--model", model, "--data", "x.json", "--task",
                "math", "--batch-size", "0", "--out", out);
        assertRefused("--limit must be >= 0, got -3", "eval", "--model", model, "--data", "x.json", "--task",
                "math", "--limit", "-3", "--out", out);
        assertRefused("--k must be in [1, --size 8], got 9", "bench", "svd", "--size", "8", "--k", "9");
        String ckpt = tmp.resolve("ckpt").toString();
        assertRefused("--shard-mib must be >= 1, got 0", "bench", "checkpoint", "--out", ckpt, "--shard-mib", "0");
        assertRefused("--dtype must be bf16, fp16 or fp32, got 'fp8'", "bench", "checkpoint", "--out", ckpt,
                "--dtype", "fp8");
        assertRefused("random checkpoints are written for the llama family", "bench", "checkpoint", "--out", ckpt,
                "--shape", "gpt2");
        assertRefused("need --steps >= 1", "bench", "train", "--model", model, "--method", "lora",
                "--steps", "0");
        assertRefused("--threshold must be in (0, 1], got NaN", "plan", "--model", model, "--threshold", "NaN");
        assertRefused("--heads must be >= 1, got 0", "plan", "--model", model, "--method", "mosara",
                "--threshold", "0.5", "--heads", "0");
        assertRefused("--threshold must be in (0, 1], got 2.0", "demo", "--out", tmp.resolve("demo").toString(),
                "--threshold", "2");
    }

    /** A prompt plus its budget beyond the LLaMA model's max_position_embeddings is refused before decoding. */
    @Test
    void generationBeyondTheModelsPositionsIsRefused() {
        assertRefused("plus 600 new tokens: ", "generate", "--model", SharedData.tinyStories().toString(),
                "--prompt", "Once upon a time", "--max-new-tokens", "600");
        assertRefused("exceed the model's 512 positions (max_position_embeddings in config.json)", "generate",
                "--model", SharedData.tinyStories().toString(), "--prompt", "Once upon a time",
                "--max-new-tokens", "600");
    }
}
