package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GenerationTest {
    private static final long[] PROMPT = {5, 17, 42, 9};

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "gptj", "gpt2"})
    void greedyWithCacheEqualsWithout(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Generator generator = new Generator(ModelLoader.load(Fixtures.model(name), manager), manager);
            GenerationOptions options = GenerationOptions.greedy(16).stoppingAt(List.of());
            long[] cached = generator.generate(PROMPT, options);
            long[] uncached = generator.generate(PROMPT, options.withCache(false));
            assertEquals(16, cached.length);
            assertArrayEquals(uncached, cached);
            assertTrue(Arrays.stream(cached).distinct().count() > 3, "degenerate: " + Arrays.toString(cached));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "gptj", "gpt2"})
    void incrementalLogitsEqualFullForward(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = ModelLoader.load(Fixtures.model(name), manager);
            ParameterStore ps = new ParameterStore(manager, false);
            long[] seq = {5, 17, 42, 9, 77, 3, 100};
            NDArray full = model.forward(ps, manager.create(seq, new Shape(1, seq.length)), null, null, false);
            try (KvCache cache = new KvCache(manager, model.config().numLayers())) {
                NDArray first = model.forward(ps, manager.create(Arrays.copyOf(seq, 4), new Shape(1, 4)), null, cache,
                        false);
                assertArrayEquals(full.get(new NDIndex(":, :4")).toFloatArray(), first.toFloatArray(), 1e-5f);
                for (int i = 4; i < seq.length; i++) {
                    NDArray step = model.forward(ps, manager.create(new long[] {seq[i]}, new Shape(1, 1)), null,
                            cache, false);
                    assertArrayEquals(full.get(new NDIndex(":, {}:{}", i, i + 1)).toFloatArray(), step.toFloatArray(),
                            1e-5f, "position " + i);
                }
                assertEquals(seq.length, cache.length());
            }
        }
    }

    @Test
    void stopsAtEndOfSequence() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Generator generator = new Generator(ModelLoader.load(Fixtures.model("llama-gqa"), manager), manager);
            long[] free = generator.generate(PROMPT, GenerationOptions.greedy(20).stoppingAt(List.of()));
            long stop = free[5];
            int firstAt = Arrays.stream(free).boxed().toList().indexOf(stop);
            long[] stopped = generator.generate(PROMPT, GenerationOptions.greedy(20).stoppingAt(List.of(stop)));
            assertArrayEquals(Arrays.copyOf(free, firstAt + 1), stopped);
        }
    }

    @Test
    void samplingIsSeededAndTopPOfAlmostZeroIsGreedy() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Generator generator = new Generator(ModelLoader.load(Fixtures.model("gptj"), manager), manager);
            GenerationOptions base = GenerationOptions.greedy(25).stoppingAt(List.of());
            long[] a = generator.generate(PROMPT, base.sampling(1.5, 0.95, 7));
            long[] b = generator.generate(PROMPT, base.sampling(1.5, 0.95, 7));
            long[] c = generator.generate(PROMPT, base.sampling(1.5, 0.95, 8));
            assertArrayEquals(a, b);
            assertNotEquals(Arrays.toString(a), Arrays.toString(c));
            assertArrayEquals(generator.generate(PROMPT, base), generator.generate(PROMPT, base.sampling(1, 1e-9, 3)));
        }
    }

    /** Options a sampler cannot honour are refused when made, naming the value. */
    @Test
    void generationOptionsRefuseValuesOutOfRange() {
        GenerationOptions greedy = GenerationOptions.greedy(4);
        for (double t : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> greedy.sampling(t, 1, 0));
            assertTrue(e.getMessage().contains("temperature") && e.getMessage().contains(Double.toString(t)),
                    e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> greedy.sampling(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> greedy.sampling(1, 1.5, 0));
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.greedy(-1));
        assertEquals(greedy.sampling(0.7, 0.9, 3), GenerationOptions.greedy(4).sampling(0.7, 0.9, 3));
    }

    @Test
    void topPSamplesOnlyTheNucleusInProportion() {
        // p = (0.5, 0.3, 0.15, 0.05); top-p 0.7 keeps the first two, renormalised to (0.625, 0.375)
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        GenerationOptions options = GenerationOptions.greedy(1).sampling(1, 0.7, 0);
        Random random = new Random(11);
        int[] counts = new int[4];
        int n = 40000;
        for (int i = 0; i < n; i++) {
            counts[Generator.sample(logits, options, random)]++;
        }
        assertEquals(0, counts[2] + counts[3]);
        assertEquals(0.625, counts[0] / (double) n, 0.01);
    }

    /**
     * Every family refuses a sequence beyond its positions, before decoding and in the forward pass (LLaMA and GPT-J
     * used to run rotary angles past max_position_embeddings silently), naming the length and the limit.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "gptj", "gpt2"})
    void sequencesLongerThanThePositionsAreRefused(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = ModelLoader.load(Fixtures.model(name), manager);
            int max = model.config().maxPositions();
            String key = name.equals("llama-gqa") ? "max_position_embeddings" : "n_positions";
            long[] prompt = new long[max - 2];
            Arrays.fill(prompt, 5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Generator(model,
                    manager).generate(prompt, GenerationOptions.greedy(3).stoppingAt(List.of())));
            assertEquals("prompt (" + (max - 2) + " tokens) plus 3 new tokens: " + (max + 1)
                    + " tokens exceed the model's " + max + " positions (" + key + " in config.json)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new BatchGenerator(model, manager)
                    .generate(List.of(prompt), GenerationOptions.greedy(3)));
            long[] tooLong = new long[max + 1];
            NDArray ids = manager.create(tooLong, new Shape(1, tooLong.length));
            IllegalArgumentException forward = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(new ParameterStore(manager, false), ids, null, null, false));
            assertTrue(forward.getMessage().startsWith("a sequence of " + (max + 1) + " tokens: "), forward.getMessage());
            long[] fits = new long[max];
            assertEquals(max, model.forward(new ParameterStore(manager, false),
                    manager.create(fits, new Shape(1, max)), null, null, false).getShape().get(1));
        }
    }

    @Test
    void decodingStepsReleaseTheirArrays() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = ModelLoader.load(Fixtures.model("llama-gqa"), manager);
            Generator generator = new Generator(model, manager);
            GenerationOptions options = GenerationOptions.greedy(5).stoppingAt(List.of());
            generator.generate(PROMPT, options);
            int before = liveArrays(manager);
            generator.generate(PROMPT, options);
            int afterFive = liveArrays(manager);
            generator.generate(PROMPT, GenerationOptions.greedy(40).stoppingAt(List.of()));
            assertEquals(before, afterFive);
            assertEquals(before, liveArrays(manager), "arrays left behind by a 40-step generation");
        }
    }

    @Test
    void trainingStepsInASubManagerLeaveNothingBehind() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = ModelLoader.load(Fixtures.model("gpt2"), manager);
            int[] live = new int[4];
            for (int step = 0; step < live.length; step++) {
                try (NDManager batch = manager.newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray ids = batch.create(PROMPT, new Shape(1, PROMPT.length));
                    NDArray mask = batch.create(new long[] {0, 1, 1, 1}, new Shape(1, PROMPT.length));
                    collector.backward(model.forward(new ParameterStore(batch, false), ids, mask, null, true)
                            .square().mean());
                }
                live[step] = liveArrays(manager);
            }
            // step 0 attaches the gradient arrays; afterwards nothing accumulates
            assertEquals(live[1], live[3], Arrays.toString(live));
            assertEquals(live[1], live[2], Arrays.toString(live));
        }
    }

    /** Arrays and sub-managers held by {@code manager} and its children. */
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
