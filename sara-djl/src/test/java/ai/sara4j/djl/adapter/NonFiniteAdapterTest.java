package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.RawTensors;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An adapter holding a NaN or an infinity is neither loaded, nor saved, nor merged into a checkpoint. */
class NonFiniteAdapterTest {
    private static final String A = "model.layers.1.self_attn.v_proj";

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
    }

    @Test
    void aNanInTheAdapterFileIsRefusedOnLoadNamingFileAndTensor(@TempDir Path tmp) throws Exception {
        Path folder = tmp.resolve("adapter");
        try (NDManager manager = NDManager.newBaseManager()) {
            Adapters.inject(TinyStoriesProjections.load(manager),
                    LoraConfig.of(TargetMatcher.names("q_proj", "v_proj"), 2, 4)).save(folder);
            Path weights = folder.resolve(Adapters.WEIGHTS_FILE);
            String tensor = Adapters.PEFT_PREFIX + A + ".lora_A.weight";
            RawTensors.set(weights, tensor, 5, Float.NaN);
            IOException e = assertThrows(IOException.class,
                    () -> Adapters.load(TinyStoriesProjections.load(manager), folder));
            assertMentions(e.getMessage(), weights.toString(), "tensor '" + tensor + "'",
                    "non-finite value NaN at element 5");
        }
    }

    @Test
    void anAdapterThatWentNanIsNeitherSavedNorMerged(@TempDir Path tmp) throws Exception {
        Path base = SharedData.tinyStories();
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapter = Adapters.inject(TinyStoriesProjections.load(manager),
                    LoraConfig.of(TargetMatcher.names("v_proj"), 2, 4));
            NDArray b = adapter.layers().get(A).tensors().get("lora_B.weight").getArray();
            float[] values = b.toFloatArray();
            values[3] = Float.POSITIVE_INFINITY;
            b.set(values);

            Path saved = tmp.resolve("adapter");
            IOException save = assertThrows(IOException.class, () -> adapter.save(saved));
            assertMentions(save.getMessage(), saved.resolve(Adapters.WEIGHTS_FILE).toString(),
                    "tensor '" + Adapters.PEFT_PREFIX + A + ".lora_B.weight'", "non-finite value Infinity at element 3");
            assertTrue(Files.notExists(saved), "nothing written");

            Path merged = tmp.resolve("merged");
            IOException merge = assertThrows(IOException.class, () -> MergedCheckpointWriter.write(base, adapter,
                    merged));
            assertMentions(merge.getMessage(), merged.resolve("model.safetensors") + ": merged weight '" + A
                    + ".weight'", "W0 + ΔW", "is not finite in F32");
            assertTrue(Files.notExists(merged), "nothing written");
            try (var list = Files.list(tmp)) {
                assertTrue(list.findAny().isEmpty(), "no temporary folder left");
            }
        }
    }
}
