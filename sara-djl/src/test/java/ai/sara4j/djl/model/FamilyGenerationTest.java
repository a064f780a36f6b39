package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDManager;
import ai.sara4j.core.safetensors.SafetensorsFile;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Greedy generation with the key/value cache against transformers' {@code generate} (greedy, cached) on the family
 * fixtures; for the sliding-window families prompt plus continuation run past the window, so the cached decoding
 * steps see the window's edge.
 */
class FamilyGenerationTest {

    @ParameterizedTest
    @MethodSource("ai.sara4j.djl.model.Fixtures#families")
    void greedyContinuationWithTheCacheEqualsTransformersGenerate(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile expected = SafetensorsFile.open(Fixtures.model(name).resolve("expected.safetensors"))) {
            Generator generator = new Generator(ModelLoader.load(Fixtures.model(name), manager), manager);
            long[] prompt = expected.readLongs("greedy_input_ids");
            long[] want = expected.readLongs("greedy_output_ids");
            GenerationOptions options = GenerationOptions.greedy(want.length).stoppingAt(List.of());
            assertArrayEquals(want, generator.generate(prompt, options), name + " with the cache");
            assertArrayEquals(want, generator.generate(prompt, options.withCache(false)), name + " without");
        }
    }
}
