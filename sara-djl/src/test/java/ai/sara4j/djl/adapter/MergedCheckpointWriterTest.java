package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The merged Hugging Face checkpoint equals W0 + s·B·A computed from the PEFT fixture, everything else unchanged. */
class MergedCheckpointWriterTest {
    @Test
    void mergedWeightsAreBasePlusPeftUpdate(@TempDir Path tmp) throws Exception {
        Path base = SharedData.tinyStories();
        Path fixture = PeftInteropTest.fixture("lora_patterns");
        Path out = tmp.resolve("merged");
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapter = Adapters.load(TinyStoriesProjections.load(manager), fixture);
            MergedCheckpointWriter.write(base, adapter, out);
        }
        for (String f : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
            assertArrayEquals(Files.readAllBytes(base.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        PeftConfig config = PeftConfig.read(fixture);
        try (Checkpoint original = Checkpoint.open(base);
                Checkpoint merged = Checkpoint.open(out);
                SafetensorsFile lora = SafetensorsFile.open(fixture.resolve(Adapters.WEIGHTS_FILE))) {
            assertEquals(original.tensors().keySet(), merged.tensors().keySet());
            int mergedCount = 0;
            for (String name : original.tensors().keySet()) {
                assertEquals(original.info(name).dtype(), merged.info(name).dtype(), name);
                String module = name.substring(0, name.length() - ".weight".length());
                String a = Adapters.PEFT_PREFIX + module + ".lora_A.weight";
                if (!lora.contains(a)) {
                    assertEquals(original.buffer(name), merged.buffer(name), name + " unchanged");
                    continue;
                }
                double[] w0 = original.readDoubles(name);
                double[] aw = lora.readDoubles(a);
                double[] bw = lora.readDoubles(Adapters.PEFT_PREFIX + module + ".lora_B.weight");
                int r = config.rankFor(module);
                double s = config.alphaFor(module) / r;
                int out2 = (int) original.info(name).shape()[0];
                int in = (int) original.info(name).shape()[1];
                float[] got = merged.readFloats(name);
                for (int o = 0; o < out2; o++) {
                    for (int i = 0; i < in; i++) {
                        double d = 0;
                        for (int j = 0; j < r; j++) {
                            d += bw[o * r + j] * aw[j * in + i];
                        }
                        assertEquals(w0[o * in + i] + s * d, got[o * in + i], 1e-6, name);
                    }
                }
                mergedCount++;
            }
            assertEquals(4, mergedCount);
        }
    }

    @Test
    void moSaraIsRefused(@TempDir Path tmp) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapter = Adapters.inject(TinyStoriesProjections.load(manager),
                    MoSaraConfig.of(TargetMatcher.names("q_proj")).withHeads(2));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> MergedCheckpointWriter.write(SharedData.tinyStories(), adapter, tmp.resolve("m")));
            assertTrue(e.getMessage().contains("Mo-SARA"), e.getMessage());
            assertTrue(Files.notExists(tmp.resolve("m")));
        }
    }
}
