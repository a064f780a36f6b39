package ai.sara4j.djl.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.sara4j.core.rank.Method;
import ai.sara4j.core.rank.RankPlanner;
import ai.sara4j.core.rank.Spectrum;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.model.Fixtures;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.model.ModelLoader;
import ai.sara4j.djl.svd.EngineSingularValues;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A loaded model's parameters plan exactly as its checkpoint folder does. */
class ModelTensorsTest {

    @Test
    void planFromTheModelInMemoryEqualsThePlanFromItsCheckpoint() throws Exception {
        TargetMatcher targets = TargetMatcher.parse("all-linear");
        EngineSingularValues svd = EngineSingularValues.exact(Device.cpu());
        try (Checkpoint checkpoint = Checkpoint.open(SharedData.tinyStories());
                LanguageModel lm = LanguageModel.load(SharedData.tinyStories(), Device.cpu());
                ModelTensors memory = ModelTensors.of(lm.model())) {
            // the tied output layer is listed once, under the embedding's path; the checkpoint stores it as lm_head
            assertFalse(memory.contains("lm_head.weight"));
            List<String> names = new ArrayList<>(checkpoint.tensors().keySet());
            names.set(names.indexOf("lm_head.weight"), "model.embed_tokens.weight");
            assertEquals(names.stream().sorted().toList(), List.copyOf(memory.tensors().keySet()));
            for (TensorInfo t : checkpoint.tensors().values()) {
                String name = t.name().equals("lm_head.weight") ? "model.embed_tokens.weight" : t.name();
                assertArrayEquals(t.shape(), memory.info(name).shape(), name);
                assertArrayEquals(checkpoint.readFloats(t.name()), memory.readFloats(name), name);
            }
            RankPlanner fromFile = RankPlanner.of(checkpoint, targets);
            RankPlanner fromMemory = RankPlanner.of(memory, targets);
            assertEquals(fromFile.targets(), fromMemory.targets());
            assertEquals(fromFile.base(), fromMemory.base());
            Map<String, Spectrum> fileSpectra = fromFile.spectra(svd);
            Map<String, Spectrum> memorySpectra = fromMemory.spectra(svd);
            for (double t : new double[] {0.01, 0.1, 0.5, 0.9}) {
                assertEquals(fromFile.byThreshold(Method.SARA, t, fileSpectra).toJson(),
                        fromMemory.byThreshold(Method.SARA, t, memorySpectra).toJson(), "threshold " + t);
                assertEquals(fromFile.byThreshold(Method.MOSARA, t, 5, fileSpectra).toJson(),
                        fromMemory.byThreshold(Method.MOSARA, t, 5, memorySpectra).toJson(), "threshold " + t);
            }
            assertEquals(fromFile.fixedRank(Method.LORA, 8).toJson(), fromMemory.fixedRank(Method.LORA, 8).toJson());
        }
    }

    /**
     * Every family's checkpoint folder plans the modules the loaded model has, fused ones as one matrix (Phi-3's
     * {@code qkv_proj}, GPT-NeoX's {@code query_key_value}), leaving out GPT-NeoX's {@code embed_out} head.
     */
    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#families")
    void everyFamilysFolderPlansAsTheModelInMemory(String name) throws Exception {
        Path folder = Fixtures.model(name);
        TargetMatcher targets = TargetMatcher.parse("all-linear");
        EngineSingularValues svd = EngineSingularValues.exact(Device.cpu());
        try (NDManager manager = NDManager.newBaseManager();
                Checkpoint checkpoint = Checkpoint.open(folder);
                ModelTensors memory = ModelTensors.of(ModelLoader.load(folder, manager))) {
            RankPlanner fromFile = RankPlanner.of(checkpoint, targets);
            RankPlanner fromMemory = RankPlanner.of(memory, targets);
            assertEquals(fromFile.targets(), fromMemory.targets());
            int perLayer = name.equals("phi3") || name.startsWith("gpt_neox") ? 4 : 7;
            assertEquals(2 * perLayer, fromFile.targets().size(), fromFile.targets().toString());
            assertEquals(fromFile.byThreshold(Method.SARA, 0.5, fromFile.spectra(svd)).toJson(),
                    fromMemory.byThreshold(Method.SARA, 0.5, fromMemory.spectra(svd)).toJson());
        }
    }
}
