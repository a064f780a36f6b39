package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.model.Completion;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.nn.Modules;
import ai.sara4j.djl.train.AdamW;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** PEFT's lifecycle verbs and named adapters on AdaptedModel, on small DJL trees (and tinystories for generation). */
class AdaptedModelTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");
    private static final String Q0 = "model.layers.0.self_attn.q_proj";
    private static final String V0 = "model.layers.0.self_attn.v_proj";

    static Stream<AdapterConfig> mergeable() {
        return Stream.of(LoraConfig.of(QV, 4, 8), SaraConfig.of(QV).withThreshold(0.3),
                AdapterMethods.byName("sora").configure(AdapterOptions.defaults(QV, 42)));
    }

    /** unload puts the very same Linear objects back: outputs bit-identical to the never-adapted model, also after merge/unmerge. */
    @ParameterizedTest
    @MethodSource("mergeable")
    void unloadRestoresTheOriginalBlocksExactly(AdapterConfig config) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            float[] before = TestNets.forward(model, x, false).toFloatArray();
            Map<String, Block> originals = Modules.named(model);
            AdaptedModel adapted = Adapters.inject(model, config);
            TestNets.randomise(adapted, 9);
            float[] withAdapter = TestNets.forward(model, x, false).toFloatArray();
            assertFalse(Arrays.equals(before, withAdapter), "the adapter changes the output");
            for (int round = 0; round < 3; round++) {
                adapted.merge();
                adapted.unmerge();
            }
            assertArrayEquals(withAdapter, TestNets.forward(model, x, false).toFloatArray(), 0f);
            adapted.merge(); // unload unmerges, exactly
            assertSame(model, adapted.unload());
            assertEquals(originals.keySet(), Modules.named(model).keySet());
            originals.forEach((path, block) -> assertSame(block, Modules.get(model, path), path));
            assertArrayEquals(before, TestNets.forward(model, x, false).toFloatArray(), 0f);
            assertTrue(model.getParameters().values().stream().allMatch(Parameter::requiresGradient),
                    "base parameters trainable again, as before injection");
            assertThrows(IllegalStateException.class, adapted::layers);
        }
    }

    /**
     * In FP16 a subtractive unmerge would not give W0 back; the kept copy does. (Checked on the weights: a CPU FP16
     * forward pass is not needed for the point.)
     */
    @Test
    void fp16UnmergeIsExact() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT16, 1);
            Map<String, float[]> w0 = new HashMap<>();
            Modules.named(model).forEach((path, b) -> {
                if (b instanceof Linear) {
                    w0.put(path, b.getParameters().get("weight").getArray().toType(DataType.FLOAT32, true)
                            .toFloatArray());
                }
            });
            AdaptedModel adapted = Adapters.inject(model, LoraConfig.of(QV, 4, 8));
            TestNets.randomise(adapted, 9);
            AdapterLayer layer = adapted.layers().get(Q0);
            NDArray weight = layer.baseWeight().getArray();
            try (NDArray delta = layer.deltaWeight().toType(DataType.FLOAT16, false);
                    NDArray merged = weight.add(delta);
                    NDArray subtracted = merged.sub(delta)) {
                assertFalse(Arrays.equals(w0.get(Q0), subtracted.toType(DataType.FLOAT32, false).toFloatArray()),
                        "subtracting ΔW in FP16 loses bits (the reason W0 is kept)");
            }
            adapted.merge();
            adapted.unmerge();
            assertArrayEquals(w0.get(Q0), weight.toType(DataType.FLOAT32, false).toFloatArray(), 0f);
            adapted.unload();
            w0.forEach((path, w) -> assertArrayEquals(w, Modules.get(model, path).getParameters().get("weight")
                    .getArray().toType(DataType.FLOAT32, false).toFloatArray(), 0f, path));
        }
    }

    /** mergeAndUnload leaves plain Linears holding W0 + ΔW: the outputs of base + adapter, to float32 rounding. */
    @ParameterizedTest
    @MethodSource("mergeable")
    void mergeAndUnloadGivesPlainLinearsWithTheAdapterFoldedIn(AdapterConfig config) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            Block q0 = Modules.get(model, Q0);
            AdaptedModel adapted = Adapters.inject(model, config);
            TestNets.randomise(adapted, 9);
            float[] unmerged = TestNets.forward(model, x, false).toFloatArray();
            Map<String, float[]> expected = new LinkedHashMap<>();
            adapted.layers().forEach((path, layer) -> {
                try (NDArray d = layer.deltaWeight(); NDArray w = layer.baseWeight().getArray().add(d)) {
                    expected.put(path, w.toFloatArray());
                }
            });
            assertSame(model, adapted.mergeAndUnload());
            Modules.named(model).forEach((path, b) -> assertFalse(b instanceof AdaptedLinear || b instanceof AdapterLayer,
                    path));
            assertSame(q0, Modules.get(model, Q0));
            expected.forEach((path, w) -> {
                Block linear = Modules.get(model, path);
                assertTrue(linear instanceof Linear, path);
                assertArrayEquals(w, linear.getParameters().get("weight").getArray().toFloatArray(), 0f, path);
            });
            assertArrayEquals(unmerged, TestNets.forward(model, x, false).toFloatArray(), 1e-5f);
        }
    }

    @Test
    void moSaraRefusesMergeAndUnloadAndStaysAdapted() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            AdaptedModel adapted = Adapters.inject(model, MoSaraConfig.of(QV).withHeads(3));
            TestNets.randomise(adapted, 9);
            float[] out = TestNets.forward(model, x, false).toFloatArray();
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    adapted::mergeAndUnload);
            assertTrue(e.getMessage().contains("router"), e.getMessage());
            assertTrue(Modules.get(model, Q0) instanceof AdaptedLinear);
            assertArrayEquals(out, TestNets.forward(model, x, false).toFloatArray(), 0f);
        }
    }

    /** Inside disabled() the forward pass is the base model's, bit for bit; after it, the adapter is back. */
    @Test
    void disabledScopeGivesTheBase() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            float[] base = TestNets.forward(model, x, false).toFloatArray();
            AdaptedModel adapted = Adapters.inject(model, SaraConfig.of(QV).withThreshold(0.3));
            float[] adapter = TestNets.forward(model, x, false).toFloatArray();
            assertFalse(Arrays.equals(base, adapter), "SARA's random init changes the output");
            try (AdaptedModel.Scope off = adapted.disabled()) {
                assertArrayEquals(base, TestNets.forward(model, x, false).toFloatArray(), 0f);
                assertArrayEquals(base, TestNets.forward(model, x, true).toFloatArray(), 0f);
                assertThrows(IllegalStateException.class, adapted::merge);
            }
            assertArrayEquals(adapter, TestNets.forward(model, x, false).toFloatArray(), 0f);
            adapted.merge();
            assertThrows(IllegalStateException.class, adapted::disabled);
        }
    }

    /** PEFT's print_trainable_parameters, counted by hand for the test net. */
    @Test
    void trainableSummaryCountsTheWholeModel() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            AdaptedModel adapted = Adapters.inject(model, LoraConfig.of(QV, 4, 8));
            // base: q_proj 12→10 (130), v_proj 10→12 (132), twice, lm_head 12→7 (91); LoRA r=4: 4·(12+10) per module
            long base = 2 * (130 + 132) + 91;
            long lora = 4 * 4 * (TestNets.IN + TestNets.HIDDEN);
            TrainableSummary summary = adapted.trainableSummary();
            assertEquals(new TrainableSummary(lora, base + lora), summary);
            assertEquals("trainable params: 352 || all params: 967 || trainable%: 36.4012", summary.toString());
            adapted.addAdapter("other", LoraConfig.of(TargetMatcher.names("q_proj"), 2, 2));
            long other = 2 * 2 * (TestNets.IN + TestNets.HIDDEN);
            assertEquals(new TrainableSummary(lora, base + lora + other), adapted.trainableSummary());
            adapted.setAdapter("other");
            assertEquals(new TrainableSummary(other, base + lora + other), adapted.trainableSummary());
        }
    }

    /**
     * A tied output layer (tinystories-656k shares its embedding) is counted once, as the checkpoint stores it: the
     * total is the checkpoint's element count plus the adapter's.
     */
    @Test
    void trainableSummaryCountsATiedOutputLayerOnce() throws Exception {
        long stored;
        try (Checkpoint checkpoint = Checkpoint.open(SharedData.tinyStories())) {
            stored = checkpoint.tensors().values().stream().mapToLong(TensorInfo::numel).sum();
        }
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdaptedModel adapted = Adapters.inject(lm.model(), LoraConfig.of(QV, 4, 8));
            assertEquals(new TrainableSummary(adapted.trainableCount(), stored + adapted.trainableCount()),
                    adapted.trainableSummary());
        }
    }

    /**
     * Two named adapters with different targets: each gives its own outputs (those of loading it alone), saves as a
     * normal folder, trains alone, and deleting restores the modules only it adapted.
     */
    @Test
    void namedAdaptersSwitchSaveTrainAndDelete(@TempDir Path tmp) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            float[] base = TestNets.forward(model, x, false).toFloatArray();
            AdaptedModel adapted = Adapters.inject(model, LoraConfig.of(QV, 4, 8));
            TestNets.randomise(adapted, 9);
            float[] first = TestNets.forward(model, x, false).toFloatArray();
            adapted.addAdapter("q_only", SaraConfig.of(TargetMatcher.names("q_proj")).withThreshold(0.3));
            assertEquals(List.of(AdaptedModel.DEFAULT, "q_only"), adapted.adapterNames());
            assertEquals(AdaptedModel.DEFAULT, adapted.activeAdapter());
            assertArrayEquals(first, TestNets.forward(model, x, false).toFloatArray(), 0f, "adding does not activate");
            assertTrue(((AdaptedLinear) Modules.get(model, V0)).adapters().containsKey(AdaptedModel.DEFAULT));
            assertFalse(((AdaptedLinear) Modules.get(model, V0)).adapters().containsKey("q_only"));

            adapted.setAdapter("q_only");
            assertEquals("sara", adapted.config().method());
            assertEquals(2, adapted.layers().size());
            float[] second = TestNets.forward(model, x, false).toFloatArray();
            assertFalse(Arrays.equals(first, second));
            assertFalse(Arrays.equals(base, second));

            // each saves as a normal folder that loads alone onto a fresh model with the same outputs
            adapted.save(AdaptedModel.DEFAULT, tmp.resolve("default"));
            adapted.save(tmp.resolve("q_only")); // the active one
            try (SafetensorsFile file = SafetensorsFile.open(tmp.resolve("default").resolve(Adapters.WEIGHTS_FILE))) {
                assertTrue(file.contains(Adapters.PEFT_PREFIX + Q0 + ".lora_A.weight"), file.tensors().keySet()
                        .toString());
            }
            for (String name : List.of("default", "q_only")) {
                Block fresh = TestNets.build(manager, DataType.FLOAT32, 1);
                Adapters.load(fresh, tmp.resolve(name));
                assertArrayEquals(name.equals("default") ? first : second,
                        TestNets.forward(fresh, x, false).toFloatArray(), 0f, name);
            }
            // and loads by name next to the others
            adapted.loadAdapter("reloaded", tmp.resolve("default"));
            adapted.setAdapter("reloaded");
            assertArrayEquals(first, TestNets.forward(model, x, false).toFloatArray(), 0f);
            adapted.deleteAdapter("reloaded");
            assertEquals("default", adapted.activeAdapter(), "deleting the active one activates the first left");

            // training the active adapter touches nothing else
            adapted.setAdapter("q_only");
            Map<Parameter, float[]> frozen = new HashMap<>();
            model.getParameters().values().forEach(p -> frozen.put(p, p.getArray().toFloatArray()));
            List<Parameter> trainable = adapted.trainableParameters();
            assertEquals(adapted.layers().values().stream().flatMap(l -> l.tensors().values().stream()).toList(),
                    trainable);
            assertEquals(trainable.size(), model.getParameters().values().stream()
                    .filter(Parameter::requiresGradient).count());
            AdamW adamW = TestNets.adamW(adapted);
            for (int step = 0; step < 3; step++) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    collector.backward(TestNets.forward(model, x, true).square().sum());
                }
                TestNets.step(adamW, 1e-2);
            }
            frozen.forEach((p, values) -> {
                boolean moved = !Arrays.equals(values, p.getArray().toFloatArray());
                assertEquals(trainable.contains(p), moved, p.getName());
            });

            // deleting q_only keeps default's outputs; deleting default (active) gives v_proj its Linear back
            adapted.setAdapter(AdaptedModel.DEFAULT);
            adapted.deleteAdapter("q_only");
            assertArrayEquals(first, TestNets.forward(model, x, false).toFloatArray(), 0f);
            assertThrows(IllegalStateException.class, () -> adapted.deleteAdapter(AdaptedModel.DEFAULT));
            adapted.addAdapter("q_only", SaraConfig.of(TargetMatcher.names("q_proj")).withThreshold(0.3));
            adapted.deleteAdapter(AdaptedModel.DEFAULT);
            assertEquals("q_only", adapted.activeAdapter());
            assertTrue(Modules.get(model, V0) instanceof Linear);
            assertTrue(Modules.get(model, Q0) instanceof AdaptedLinear);
            assertEquals(List.of(AdaptedLinear.BASE_LAYER, "q_only"), Modules.named(Modules.get(model, Q0)).keySet()
                    .stream().toList());

            assertThrows(IllegalArgumentException.class, () -> adapted.setAdapter("nope"));
            assertThrows(IllegalArgumentException.class, () -> adapted.addAdapter("q_only", LoraConfig.of(QV, 2, 2)));
            assertThrows(IllegalArgumentException.class, () -> adapted.addAdapter("a.b", LoraConfig.of(QV, 2, 2)));
            adapted.addAdapter("z", LoraConfig.of(QV, 2, 2));
            adapted.merge();
            IllegalStateException merged = assertThrows(IllegalStateException.class, () -> adapted.setAdapter("z"));
            assertTrue(merged.getMessage().contains("unmerge"), merged.getMessage());
        }
    }

    /** A mixed batch gives each row what running it alone with its adapter (or the bare base) gives. */
    @Test
    void perRowAdaptersEqualEachRowAlone() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            Random random = new Random(4);
            double[] values = new double[4 * 3 * TestNets.IN];
            Arrays.setAll(values, i -> random.nextGaussian());
            NDArray x = manager.create(TestNets.toFloats(values), new Shape(4, 3, TestNets.IN));
            AdaptedModel adapted = Adapters.inject(model, LoraConfig.of(QV, 4, 8));
            adapted.addAdapter("q_only", SaraConfig.of(TargetMatcher.names("q_proj")).withThreshold(0.3));
            TestNets.randomise(adapted, 9);
            List<String> rows = Arrays.asList("q_only", null, AdaptedModel.DEFAULT, AdaptedModel.BASE);
            float[][] alone = new float[rows.size()][];
            for (int i = 0; i < rows.size(); i++) {
                NDArray row = x.get(new NDIndex("{}:{}", i, i + 1));
                String name = rows.get(i);
                if (name == null || name.equals(AdaptedModel.BASE)) {
                    try (AdaptedModel.Scope off = adapted.disabled()) {
                        alone[i] = TestNets.forward(model, row, false).toFloatArray();
                    }
                } else {
                    adapted.setAdapter(name);
                    alone[i] = TestNets.forward(model, row, false).toFloatArray();
                }
            }
            adapted.setAdapter(AdaptedModel.DEFAULT);
            NDArray mixed;
            try (AdaptedModel.Scope scope = adapted.perRowAdapters(rows)) {
                mixed = TestNets.forward(model, x, false);
                IllegalStateException training = assertThrows(IllegalStateException.class,
                        () -> TestNets.forward(model, x, true));
                assertTrue(training.getMessage().contains("inference"), training.getMessage());
                assertThrows(IllegalStateException.class, () -> adapted.setAdapter("q_only"));
            }
            for (int i = 0; i < rows.size(); i++) {
                assertArrayEquals(alone[i], mixed.get(i).toFloatArray(), 1e-6f, "row " + i + " " + rows.get(i));
            }
            assertNotEquals(Arrays.toString(alone[0]), Arrays.toString(alone[2]));
            assertNotEquals(Arrays.toString(alone[1]), Arrays.toString(alone[2]));
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> adapted.perRowAdapters(List.of("default", "nope")));
            assertTrue(unknown.getMessage().contains("row 1") && unknown.getMessage().contains("nope"),
                    unknown.getMessage());
            adapted.merge();
            assertThrows(IllegalStateException.class, () -> adapted.perRowAdapters(List.of("default")));
        }
    }

    /** Batched greedy generation (key/value cache) inside perRowAdapters gives each prompt its adapter's text. */
    @Test
    void perRowAdaptersRouteGenerationWithTheCache() throws Exception {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdaptedModel adapted = Adapters.inject(lm.model(), LoraConfig.of(QV, 4, 8));
            adapted.addAdapter("other", LoraConfig.of(TargetMatcher.names("q_proj", "v_proj", "o_proj"), 8, 16)
                    .withSeed(7));
            TestNets.randomise(adapted, 3);
            adapted.setAdapter("other");
            TestNets.randomise(adapted, 4);
            List<String> prompts = List.of("Once upon a time", "The cat sat", "Tom and Lily went");
            List<String> names = Arrays.asList("other", null, AdaptedModel.DEFAULT);
            GenerationOptions greedy = GenerationOptions.greedy(8);
            String[] alone = new String[prompts.size()];
            for (int i = 0; i < prompts.size(); i++) {
                if (names.get(i) == null) {
                    try (AdaptedModel.Scope off = adapted.disabled()) {
                        alone[i] = lm.generate(List.of(prompts.get(i)), greedy).get(0).text();
                    }
                } else {
                    adapted.setAdapter(names.get(i));
                    alone[i] = lm.generate(List.of(prompts.get(i)), greedy).get(0).text();
                }
            }
            List<Completion> mixed;
            try (AdaptedModel.Scope rows = adapted.perRowAdapters(names)) {
                mixed = lm.generate(prompts, greedy);
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(alone[i], mixed.get(i).text(), prompts.get(i));
            }
            // the adapters matter: the same prompt under each gives different text
            String prompt = prompts.get(0);
            List<String> each = new java.util.ArrayList<>();
            for (String name : Arrays.asList("other", AdaptedModel.BASE, AdaptedModel.DEFAULT)) {
                try (AdaptedModel.Scope rows = adapted.perRowAdapters(Arrays.asList(name))) {
                    each.add(lm.generate(List.of(prompt), greedy).get(0).text());
                }
            }
            assertEquals(3, each.stream().distinct().count(), each.toString());
        }
    }
}
