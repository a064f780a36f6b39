package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import ai.sara4j.core.testing.SharedData;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchGeneratorTest {
    /** Different lengths, so the shorter ones are left-padded. */
    private static final List<long[]> PROMPTS = List.of(
            new long[] {5, 17, 42, 9}, new long[] {8}, new long[] {3, 1, 4, 1, 5, 9, 2}, new long[] {100, 7});

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "gptj", "gpt2"})
    void batchedEqualsOneByOne(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = ModelLoader.load(Fixtures.model(name), manager);
            GenerationOptions options = GenerationOptions.greedy(12).stoppingAt(List.of());
            List<long[]> batched = new BatchGenerator(model, manager).generate(PROMPTS, options);
            Generator single = new Generator(model, manager);
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertArrayEquals(single.generate(PROMPTS.get(i), options), batched.get(i), name + " prompt " + i);
            }
        }
    }

    @Test
    void eachRowStopsAtItsOwnEndOfSequence() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = ModelLoader.load(Fixtures.model("llama-gqa"), manager);
            Generator single = new Generator(model, manager);
            long[] free = single.generate(PROMPTS.get(0), GenerationOptions.greedy(12).stoppingAt(List.of()));
            GenerationOptions stopping = GenerationOptions.greedy(12).stoppingAt(List.of(free[3]));
            List<long[]> batched = new BatchGenerator(model, manager).generate(PROMPTS, stopping);
            for (int i = 0; i < PROMPTS.size(); i++) {
                assertArrayEquals(single.generate(PROMPTS.get(i), stopping), batched.get(i), "prompt " + i);
            }
            assertTrue(batched.get(0).length <= 4);
            assertEquals(free[3], batched.get(0)[batched.get(0).length - 1]);
        }
    }

    @Test
    void realModelTextPromptsBatchedEqualOneByOne() throws Exception {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            List<String> prompts = List.of("Once upon a time", "Tom had a red ball. One day,", "The sun", "Lily and her mom went to the park to play. They saw");
            GenerationOptions options = GenerationOptions.greedy(24);
            List<Completion> batched = lm.generate(prompts, options);
            for (int i = 0; i < prompts.size(); i++) {
                Completion alone = lm.generate(prompts.get(i), options);
                assertArrayEquals(alone.generatedIds(), batched.get(i).generatedIds(), prompts.get(i));
                assertEquals(alone.text(), batched.get(i).text());
            }
            assertTrue(batched.stream().anyMatch(c -> c.generatedIds().length > 5));
        }
    }

    @Test
    void releasesItsArraysAndRejectsSampling() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            BatchGenerator generator = new BatchGenerator(ModelLoader.load(Fixtures.model("llama-gqa"), manager), manager);
            GenerationOptions options = GenerationOptions.greedy(5).stoppingAt(List.of());
            generator.generate(PROMPTS, options);
            int before = liveArrays(manager);
            generator.generate(PROMPTS, GenerationOptions.greedy(30).stoppingAt(List.of()));
            assertEquals(before, liveArrays(manager), "arrays left behind by a 30-step batch");
            assertThrows(IllegalArgumentException.class, () -> generator.generate(PROMPTS, options.sampling(1, 1, 0)));
            assertThrows(IllegalArgumentException.class, () -> generator.generate(List.of(new long[0]), options));
            assertEquals(List.of(), generator.generate(List.of(), options));
            assertTrue(Arrays.stream(generator.generate(PROMPTS, GenerationOptions.greedy(0)).get(0)).count() == 0);
        }
    }

    private static int liveArrays(NDManager manager) throws ReflectiveOperationException {
        Field f = BaseNDManager.class.getDeclaredField("resources");
        f.setAccessible(true);
        int n = 0;
        for (Object r : ((Map<?, ?>) f.get(manager)).values()) {
            n += 1 + (r instanceof NDManager m ? liveArrays(m) : 0);
        }
        return n;
    }
}
