package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.model.LanguageModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --adapter}, {@code merge} and {@code export} on tinystories-656k: a PEFT LoRA made in Python gives PEFT's
 * logits, a merged checkpoint gives the logits of base + adapter, and an exported SARA adapter the logits of the
 * SARA adapter.
 */
class AdapterCommandsTest {
    /** Must equal PROMPT in tools/fixtures/make_adapter_fixtures.py. */
    private static final String PROMPT = "Once upon a time, there was a little dog named Max.";

    /** Copies a fixture adapter folder of sara-djl's test resources (jar or folder) into {@code dir}. */
    static Path fixture(String name, Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        for (String file : new String[] {"adapter_config.json", "adapter_model.safetensors", "expected.safetensors"}) {
            try (InputStream in = AdapterCommandsTest.class.getResourceAsStream("/fixtures/adapters/" + name + "/" + file)) {
                Files.copy(in, folder.resolve(file));
            }
        }
        return folder;
    }

    private static float[] logits(Path tmp, String... modelArgs) throws IOException {
        Path out = Files.createTempFile(tmp, "logits", ".safetensors");
        String[] args = new String[modelArgs.length + 5];
        args[0] = "logits";
        System.arraycopy(modelArgs, 0, args, 1, modelArgs.length);
        args[modelArgs.length + 1] = "--prompt";
        args[modelArgs.length + 2] = PROMPT;
        args[modelArgs.length + 3] = "--out";
        args[modelArgs.length + 4] = out.toString();
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(0, r.exitCode(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            return f.readFloats("logits");
        }
    }

    @Test
    void peftAdapterThenMergedCheckpointGivePeftLogits(@TempDir Path tmp) throws Exception {
        String model = SharedData.tinyStories().toString();
        Path adapter = fixture("lora_patterns", tmp);
        float[] peft;
        try (SafetensorsFile expected = SafetensorsFile.open(adapter.resolve("expected.safetensors"))) {
            peft = expected.readFloats("logits");
        }
        assertArrayEquals(peft, logits(tmp, "--model", model, "--adapter", adapter.toString()), 1e-4f);

        Path merged = tmp.resolve("merged");
        CliRunner.Result r = CliRunner.run("merge", "--model", model, "--adapter", adapter.toString(),
                "--out", merged.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(Files.exists(merged.resolve("tokenizer.json")) && Files.exists(merged.resolve("config.json")));
        assertArrayEquals(peft, logits(tmp, "--model", merged.toString()), 1e-4f);
    }

    @Test
    void exportedSaraGivesSaraLogitsAndMoSaraIsRefused(@TempDir Path tmp) throws Exception {
        Path model = SharedData.tinyStories();
        Path sara = tmp.resolve("sara");
        Path mosara = tmp.resolve("mosara");
        try (LanguageModel lm = LanguageModel.load(model)) {
            Adapters.inject(lm.model(), SaraConfig.of(TargetMatcher.names("q_proj", "v_proj")).withThreshold(0.1))
                    .save(sara);
        }
        try (LanguageModel lm = LanguageModel.load(model)) {
            Adapters.inject(lm.model(), MoSaraConfig.of(TargetMatcher.names("q_proj", "v_proj"))).save(mosara);
        }
        float[] base = logits(tmp, "--model", model.toString());
        float[] withSara = logits(tmp, "--model", model.toString(), "--adapter", sara.toString());
        // SARA's paper initialisation is random, so the adapter changes the output from step 0
        float diff = 0;
        for (int i = 0; i < base.length; i++) {
            diff = Math.max(diff, Math.abs(base[i] - withSara[i]));
        }
        assertTrue(diff > 1e-3, "SARA adapter has no effect");

        Path exported = tmp.resolve("peft");
        CliRunner.Result r = CliRunner.run("export", "--model", model.toString(), "--adapter", sara.toString(),
                "--format", "peft", "--out", exported.toString());
        assertEquals(0, r.exitCode(), r.err());
        String config = Files.readString(exported.resolve("adapter_config.json"));
        assertTrue(config.contains("\"peft_type\"") && config.contains("rank_pattern"), config);
        assertArrayEquals(withSara, logits(tmp, "--model", model.toString(), "--adapter", exported.toString()), 1e-4f);

        CliRunner.Result refused = CliRunner.run("merge", "--model", model.toString(), "--adapter",
                mosara.toString(), "--out", tmp.resolve("m2").toString());
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().contains("router"), refused.err());
        assertTrue(!Files.exists(tmp.resolve("m2")), "nothing written on failure");
    }
}
