package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.rank.RankRule;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.nn.Modules;
import ai.sara4j.djl.svd.EngineSvd;
import ai.sara4j.djl.train.AdamW;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Injection, freezing, merge/unmerge, save/load and bad adapter folders on small DJL trees. */
class AdapterLifecycleTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");

    static Stream<AdapterConfig> configs() {
        return Stream.of(LoraConfig.of(QV, 4, 8), SaraConfig.of(QV).withThreshold(0.3),
                MoSaraConfig.of(QV).withHeads(3));
    }

    @Test
    void trainableCountsFollowEachMethodsFormula() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel lora = Adapters.inject(TestNets.build(manager, DataType.FLOAT32, 1), LoraConfig.of(QV, 4, 8));
            // q_proj IN→HIDDEN and v_proj HIDDEN→IN, twice: r·(in + out) each
            assertEquals(4L * 4 * (TestNets.IN + TestNets.HIDDEN), lora.trainableCount());

            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            AdaptedModel sara = Adapters.inject(model, SaraConfig.of(QV).withThreshold(0.3));
            long expected = 0;
            for (Map.Entry<String, Integer> e : sara.ranks().entrySet()) {
                expected += (long) e.getValue() * (TestNets.IN + TestNets.HIDDEN + 1); // U, λ, V
                try (EngineSvd svd = EngineSvd.create(manager);
                        NDArray sigma = svd.singularValues(sara.layers().get(e.getKey()).baseWeight().getArray()
                                .toType(DataType.FLOAT64, true))) {
                    assertEquals(new RankRule(0.3).rank(e.getKey(), sigma.toDoubleArray()), e.getValue(), e.getKey());
                }
            }
            assertEquals(expected, sara.trainableCount());

            AdaptedModel mo = Adapters.inject(TestNets.build(manager, DataType.FLOAT32, 1),
                    MoSaraConfig.of(QV).withHeads(3));
            long moExpected = 0;
            for (Map.Entry<String, AdapterLayer> e : mo.layers().entrySet()) {
                int k = e.getValue().rank();
                long out = e.getValue().baseWeight().getArray().getShape().get(0);
                moExpected += 3L * k + out + k + 3; // m·k + out + k + m
            }
            assertEquals(moExpected, mo.trainableCount());
            assertEquals(mo.trainableCount(), mo.trainableParameters().stream()
                    .mapToLong(p -> p.getArray().size()).sum());
        }
    }

    @Test
    void injectionWrapsOnlyTargetsAndFreezesTheRest() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            AdaptedModel adapter = Adapters.inject(model, LoraConfig.of(TargetMatcher.regex(".*\\.0\\..*q_proj"), 2, 2));
            assertEquals(java.util.List.of("model.layers.0.self_attn.q_proj"),
                    java.util.List.copyOf(adapter.layers().keySet()));
            assertTrue(Modules.get(model, "model.layers.0.self_attn.q_proj") instanceof AdapterLayer);
            long trainable = model.getParameters().values().stream().filter(Parameter::requiresGradient).count();
            assertEquals(2, trainable);
            assertThrows(IllegalStateException.class, () -> Adapters.inject(model, LoraConfig.of(QV, 2, 2)));
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Adapters.inject(
                    TestNets.build(manager, DataType.FLOAT32, 1), LoraConfig.of(TargetMatcher.names("k_proj"), 2, 2)));
            assertTrue(none.getMessage().contains("k_proj"), none.getMessage());
            IllegalArgumentException notLinear = assertThrows(IllegalArgumentException.class, () -> Adapters.inject(
                    TestNets.build(manager, DataType.FLOAT32, 1), LoraConfig.of(TargetMatcher.names("self_attn"), 2, 2)));
            assertTrue(notLinear.getMessage().contains("not a Linear"), notLinear.getMessage());
        }
    }

    /** Options from the command line become each method's config with the papers' defaults; foreign options fail. */
    @Test
    void optionsConfigureEachMethodWithItsDefaults() {
        AdapterOptions defaults = AdapterOptions.defaults(QV, 42);
        assertEquals(LoraConfig.of(QV, 8, 8), AdapterMethods.byName("lora").configure(defaults));
        assertEquals(SaraConfig.of(QV), AdapterMethods.byName("sara").configure(defaults));
        assertEquals(MoSaraConfig.of(QV), AdapterMethods.byName("mosara").configure(defaults));
        AdapterOptions zero = AdapterOptions.builder(QV).threshold(0.05).dropout(0).init("zero").seed(7).build();
        assertEquals(SaraConfig.of(QV).withThreshold(0.05).withInit(SaraConfig.Init.ZERO).withDropout(0).withSeed(7),
                AdapterMethods.byName("sara").configure(zero));
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> AdapterMethods.byName("lora").configure(zero));
        assertTrue(foreign.getMessage().contains("lora") && foreign.getMessage().contains("threshold"),
                foreign.getMessage());
        AdapterOptions rslora = AdapterOptions.builder(QV).r(4).extra("use_rslora", "true").build();
        assertTrue(((LoraConfig) AdapterMethods.byName("lora").configure(rslora)).useRslora());
        assertThrows(IllegalArgumentException.class, () -> AdapterMethods.byName("mosara").configure(rslora));
    }

    /** Every method writes exclude_modules and the layer fields to its PEFT config and reads them back. */
    @Test
    void everyMethodRoundTripsExcludeAndLayers() throws IOException {
        TargetMatcher targets = TargetMatcher.names("q_proj", "v_proj", "o_proj").withExclude("re:.*\\.0\\..*")
                .withLayers(java.util.List.of(0, 2), java.util.List.of("layers"));
        for (AdapterMethod method : AdapterMethods.all()) {
            AdapterConfig config = method.configure(AdapterOptions.defaults(targets, 42));
            PeftConfig file = PeftConfig.parse(config.toPeft(Map.of()).toJson());
            assertEquals(config, method.readConfig(file), method.name());
            assertEquals(targets, method.readConfig(file).targets(), method.name());
        }
    }

    /** Dropout acts on the adapter input only, and only in training. */
    @Test
    void dropoutActsOnTheAdapterPathInTrainingOnly() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            float[] base = TestNets.forward(model, x, true).toFloatArray();
            AdaptedModel adapter = Adapters.inject(model, LoraConfig.of(QV, 4, 8).withDropout(0.5));
            // B = 0: the adapter adds nothing, so dropout must not change the output (the base path is not dropped)
            assertArrayEquals(base, TestNets.forward(model, x, true).toFloatArray(), 0f);
            TestNets.randomise(adapter, 9);
            float[] inference = TestNets.forward(model, x, false).toFloatArray();
            assertArrayEquals(inference, TestNets.forward(model, x, false).toFloatArray(), 0f);
            assertFalse(java.util.Arrays.equals(inference, TestNets.forward(model, x, true).toFloatArray()));
        }
    }

    /** An FP16 base keeps FP32 adapter parameters; the output stays FP16 and close to the FP32 computation. */
    @Test
    void fp16BaseTrainsFp32Adapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block reference = TestNets.build(manager, DataType.FLOAT32, 1);
            Block half = TestNets.build(manager, DataType.FLOAT16, 1);
            AdaptedModel ref = Adapters.inject(reference, SaraConfig.of(QV).withThreshold(0.3).withDropout(0));
            AdaptedModel adapter = Adapters.inject(half, SaraConfig.of(QV).withThreshold(0.3).withDropout(0));
            adapter.trainableParameters().forEach(p -> assertEquals(DataType.FLOAT32, p.getArray().getDataType()));
            assertEquals(ref.ranks(), adapter.ranks());
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            NDArray y = TestNets.forward(half, x.toType(DataType.FLOAT16, false), false);
            assertEquals(DataType.FLOAT16, y.getDataType());
            assertArrayEquals(TestNets.forward(reference, x, false).toFloatArray(),
                    y.toType(DataType.FLOAT32, false).toFloatArray(), 2e-2f);
        }
    }

    /** Mo-SARA's forward pass equals the paper's formula evaluated independently in Java doubles. */
    @Test
    void moSaraForwardMatchesFormula() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT64, 1);
            AdaptedModel adapter = Adapters.inject(model, MoSaraConfig.of(QV).withHeads(3).withDropout(0));
            TestNets.randomise(adapter, 5);
            String module = "model.layers.0.self_attn.q_proj";
            AdapterLayer layer = adapter.layers().get(module);
            NDArray x = TestNets.input(manager, DataType.FLOAT64, 6);
            double[] got = TestNets.forward(layer, x, false).toDoubleArray();
            double[] base = TestNets.forward(layer.base(), x, false).toDoubleArray();

            int k = layer.rank();
            int m = 3;
            int out = TestNets.HIDDEN;
            int in = TestNets.IN;
            double[] xs = x.toDoubleArray();
            double[] p = layer.tensors().get("mosara_P").getArray().toDoubleArray(); // out×k
            double[] q = layer.tensors().get("mosara_Q").getArray().toDoubleArray(); // in×k
            double[] lam = layer.tensors().get("mosara_lambda").getArray().toDoubleArray(); // m×k
            double[] v = layer.tensors().get("mosara_v").getArray().toDoubleArray(); // out
            double[] w1 = layer.tensors().get("mosara_router.w1").getArray().toDoubleArray(); // k
            double[] w2 = layer.tensors().get("mosara_router.w2").getArray().toDoubleArray(); // m
            for (int t = 0; t < xs.length / in; t++) {
                double[] z = new double[k];
                for (int j = 0; j < k; j++) {
                    for (int i = 0; i < in; i++) {
                        z[j] += xs[t * in + i] * q[i * k + j];
                    }
                }
                double scalar = 0;
                for (int j = 0; j < k; j++) {
                    scalar += z[j] * w1[j];
                }
                double[] g = new double[m];
                double norm = 0;
                for (int h = 0; h < m; h++) {
                    g[h] = Math.exp(scalar * w2[h]);
                    norm += g[h];
                }
                for (int o = 0; o < out; o++) {
                    double dy = 0;
                    for (int j = 0; j < k; j++) {
                        double s = 0;
                        for (int h = 0; h < m; h++) {
                            s += g[h] / norm * lam[h * k + j];
                        }
                        dy += z[j] * s * p[o * k + j];
                    }
                    assertEquals(base[t * out + o] + dy * v[o], got[t * out + o], 1e-12);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void mergeMatchesAndUnmergeRestores(AdapterConfig config) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            AdaptedModel adapter = Adapters.inject(model, config);
            TestNets.randomise(adapter, 9);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            float[] unmerged = TestNets.forward(model, x, false).toFloatArray();
            Map<String, float[]> before = baseWeights(adapter);
            if (config instanceof MoSaraConfig) {
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, adapter::merge);
                assertTrue(e.getMessage().contains("router"), e.getMessage());
                assertEquals(before.keySet(), baseWeights(adapter).keySet());
                before.forEach((k, w) -> assertArrayEquals(w, baseWeights(adapter).get(k), k));
                return;
            }
            adapter.merge();
            assertTrue(adapter.layers().values().iterator().next().isMerged());
            assertArrayEquals(unmerged, TestNets.forward(model, x, false).toFloatArray(), 1e-5f);
            assertFalse(java.util.Arrays.equals(before.values().iterator().next(),
                    baseWeights(adapter).values().iterator().next()), "merge changed the base weight");
            adapter.unmerge();
            before.forEach((k, w) -> assertArrayEquals(w, baseWeights(adapter).get(k), 1e-6f, k));
            assertArrayEquals(unmerged, TestNets.forward(model, x, false).toFloatArray(), 1e-5f);
        }
    }

    /** After optimizer steps on the adapter, every base parameter is bit-identical and the adapter has moved. */
    @ParameterizedTest
    @MethodSource("configs")
    void trainingLeavesBaseWeightsBitIdentical(AdapterConfig config) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            Map<String, float[]> base = new HashMap<>();
            model.getParameters().values().forEach(p -> base.put(p.getId(), p.getArray().toFloatArray()));
            AdaptedModel adapter = Adapters.inject(model, config);
            Map<String, float[]> adapterBefore = new LinkedHashMap<>();
            adapter.trainableParameters().forEach(p -> adapterBefore.put(p.getId(), p.getArray().toFloatArray()));
            AdamW adamW = TestNets.adamW(adapter); // its state lives on a sub-manager of the test's manager
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            for (int step = 0; step < 3; step++) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    collector.backward(TestNets.forward(model, x, true).square().sum());
                }
                TestNets.step(adamW, 1e-2);
            }
            Map<String, Parameter> now = new HashMap<>();
            model.getParameters().values().forEach(p -> now.put(p.getId(), p));
            base.forEach((id, values) -> assertArrayEquals(values, now.get(id).getArray().toFloatArray(), 0f,
                    now.get(id).getName()));
            boolean moved = adapter.trainableParameters().stream()
                    .anyMatch(p -> !java.util.Arrays.equals(adapterBefore.get(p.getId()), p.getArray().toFloatArray()));
            assertTrue(moved, "the adapter trained");
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void saveAndLoadReproduceOutputsExactly(AdapterConfig config, @TempDir Path tmp) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            AdaptedModel adapter = Adapters.inject(model, config);
            TestNets.randomise(adapter, 9);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            float[] want = TestNets.forward(model, x, false).toFloatArray();
            Path folder = tmp.resolve("adapter");
            adapter.save(folder);
            try (SafetensorsFile file = SafetensorsFile.open(folder.resolve(Adapters.WEIGHTS_FILE))) {
                assertTrue(file.contains("base_model.model.model.layers.1.self_attn.v_proj."
                        + adapter.layers().values().iterator().next().tensors().keySet().iterator().next()));
            }

            Block fresh = TestNets.build(manager, DataType.FLOAT32, 1);
            AdaptedModel loaded = Adapters.load(fresh, folder);
            assertEquals(adapter.ranks(), loaded.ranks());
            assertEquals(config.method(), loaded.config().method());
            assertArrayEquals(want, TestNets.forward(fresh, x, false).toFloatArray(), 0f);
        }
    }

    @Test
    void badAdapterFoldersAreClearErrors(@TempDir Path tmp) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path folder = tmp.resolve("sara");
            Adapters.inject(TestNets.build(manager, DataType.FLOAT32, 1), SaraConfig.of(QV).withThreshold(0.3))
                    .save(folder);

            // other shapes: a model whose rank_pattern-sized U no longer fits
            PeftConfig config = PeftConfig.read(folder);
            Map<String, Integer> ranks = new LinkedHashMap<>(config.rankPattern());
            ranks.replaceAll((k, v) -> v + 1);
            Path wrongRank = copy(folder, tmp.resolve("wrong-rank"));
            config.rankPattern(ranks).write(wrongRank);
            IOException shape = assertThrows(IOException.class,
                    () -> Adapters.load(TestNets.build(manager, DataType.FLOAT32, 1), wrongRank));
            assertTrue(shape.getMessage().contains("sara_U") && shape.getMessage().contains("shape"),
                    shape.getMessage());

            // a missing tensor
            Path missing = copy(folder, tmp.resolve("missing"));
            String dropped = "base_model.model.model.layers.1.self_attn.v_proj.sara_V";
            rewriteWithout(folder.resolve(Adapters.WEIGHTS_FILE), missing.resolve(Adapters.WEIGHTS_FILE), dropped);
            IOException gone = assertThrows(IOException.class,
                    () -> Adapters.load(TestNets.build(manager, DataType.FLOAT32, 1), missing));
            assertTrue(gone.getMessage().contains(dropped), gone.getMessage());

            // an unknown method
            Path unknown = copy(folder, tmp.resolve("unknown"));
            PeftConfig other = PeftConfig.read(folder);
            other.extensionOrCreate().put("method", "vera");
            other.write(unknown);
            IllegalArgumentException method = assertThrows(IllegalArgumentException.class,
                    () -> Adapters.load(TestNets.build(manager, DataType.FLOAT32, 1), unknown));
            assertTrue(method.getMessage().contains("vera") && method.getMessage().contains(PeftConfig.FILE_NAME),
                    method.getMessage());

            // targets that do not exist in the model
            Path otherTargets = copy(folder, tmp.resolve("targets"));
            PeftConfig.read(folder).targetModules(TargetMatcher.names("k_proj")).write(otherTargets);
            assertThrows(IllegalArgumentException.class,
                    () -> Adapters.load(TestNets.build(manager, DataType.FLOAT32, 1), otherTargets));

            // a PEFT LoRA feature SARA4J does not implement
            Path lora = tmp.resolve("lora");
            Adapters.inject(TestNets.build(manager, DataType.FLOAT32, 1), LoraConfig.of(QV, 2, 2)).save(lora);
            Path saved = copy(lora, tmp.resolve("modules-to-save"));
            PeftConfig.parse(PeftConfig.read(lora).toJson().replaceFirst("\\{", "{\"modules_to_save\": [\"lm_head\"],"))
                    .write(saved);
            IllegalArgumentException unsupported = assertThrows(IllegalArgumentException.class,
                    () -> Adapters.load(TestNets.build(manager, DataType.FLOAT32, 1), saved));
            assertTrue(unsupported.getMessage().contains("modules_to_save"), unsupported.getMessage());

            // no weights file
            Path noWeights = copy(folder, tmp.resolve("no-weights"));
            Files.delete(noWeights.resolve(Adapters.WEIGHTS_FILE));
            IOException noFile = assertThrows(IOException.class,
                    () -> Adapters.load(TestNets.build(manager, DataType.FLOAT32, 1), noWeights));
            assertTrue(noFile.getMessage().contains(Adapters.WEIGHTS_FILE), noFile.getMessage());
        }
    }

    private static Map<String, float[]> baseWeights(AdaptedModel adapter) {
        Map<String, float[]> out = new LinkedHashMap<>();
        adapter.layers().forEach((k, l) -> out.put(k, l.baseWeight().getArray().toFloatArray()));
        return out;
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    private static void rewriteWithout(Path source, Path target, String dropped) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile file = SafetensorsFile.open(source)) {
            for (String name : file.tensors().keySet()) {
                if (!name.equals(dropped)) {
                    writer.addFloats(name, file.info(name).shape(), file.readFloats(name));
                }
            }
        }
        Files.delete(target);
        writer.write(target);
    }
}
