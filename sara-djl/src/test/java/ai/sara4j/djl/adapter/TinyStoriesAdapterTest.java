package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.data.Example;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.rank.Method;
import ai.sara4j.core.rank.RankPlan;
import ai.sara4j.core.rank.RankPlanner;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.CausalLmLoss;
import ai.sara4j.djl.train.Trainer;
import ai.sara4j.djl.train.TrainingOptions;
import ai.sara4j.djl.train.data.Batch;
import ai.sara4j.djl.train.data.ExampleTokenizer;
import ai.sara4j.djl.train.data.TokenizedDataset;
import ai.sara4j.djl.svd.EngineSingularValues;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Adapters on the real tinystories-656k LLaMA: PEFT logits, SARA export, merged checkpoints, training on E2E. */
class TinyStoriesAdapterTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");

    @ParameterizedTest
    @ValueSource(strings = {"lora_plain", "lora_patterns", "lora_rslora", "sara_as_lora", "lora_layers"})
    void importedPeftAdapterGivesPeftLogits(String name) throws Exception {
        Path fixture = PeftInteropTest.fixture(name);
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            Adapters.load(lm.model(), fixture);
            assertLogits(lm, fixture, name);
        }
    }

    /** SARA with the fixture's U, λ, V, exported to PEFT form and imported onto a fresh model: PEFT's logits. */
    @Test
    void exportedSaraGivesPeftLogits(@TempDir Path tmp) throws Exception {
        Path fixture = PeftInteropTest.fixture("sara_as_lora");
        Path exported = tmp.resolve("export");
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories());
                SafetensorsFile factors = SafetensorsFile.open(fixture.resolve("sara_factors.safetensors"))) {
            Map<String, Integer> ranks = new LinkedHashMap<>();
            factors.tensors().forEach((t, info) -> {
                if (t.endsWith(".sara_lambda")) {
                    ranks.put(t.substring(0, t.length() - ".sara_lambda".length()), (int) info.shape()[0]);
                }
            });
            AdaptedModel sara = Adapters.inject(lm.model(), SaraConfig.of(QV).withRankPattern(ranks));
            for (Map.Entry<String, AdapterLayer> e : sara.layers().entrySet()) {
                for (var t : e.getValue().tensors().entrySet()) {
                    TensorLoader.fill(factors, e.getKey() + "." + t.getKey(), t.getValue());
                }
            }
            assertLogits(lm, fixture, "SARA");
            sara.exportPeft(exported, "tinystories-656k");
        }
        try (LanguageModel fresh = LanguageModel.load(SharedData.tinyStories())) {
            Adapters.load(fresh.model(), exported);
            assertLogits(fresh, fixture, "exported SARA");
        }
    }

    /** Injection finds the ranks and trainable counts of `./sara plan` (RankPlanner, float64 engine SVD). */
    @ParameterizedTest
    @ValueSource(strings = {"SARA", "MOSARA"})
    void injectedRanksEqualThePlan(String methodName) throws Exception {
        Method method = Method.valueOf(methodName);
        RankPlan plan;
        try (Checkpoint checkpoint = Checkpoint.open(SharedData.tinyStories())) {
            plan = RankPlanner.of(checkpoint, QV).byThreshold(method, 0.3, method == Method.MOSARA ? 5 : 0,
                    EngineSingularValues.exact(Device.cpu()));
        }
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdapterConfig config = method == Method.SARA ? SaraConfig.of(QV).withThreshold(0.3)
                    : MoSaraConfig.of(QV).withThreshold(0.3);
            AdaptedModel adapter = Adapters.inject(lm.model(), config);
            assertEquals(plan.ranks(), adapter.ranks());
            assertEquals(plan.trainable(), adapter.trainableCount());
        }
    }

    /**
     * PEFT's lora_layers fixture (exclude_modules k_proj, layers_to_transform 1, layers_pattern "layers") adapts
     * layer 1's q_proj and v_proj only; SARA and the rank planner given the same targets pick the same modules.
     */
    @Test
    void peftLayerAndExcludeFieldsPickTheSameModulesEverywhere() throws Exception {
        Path fixture = PeftInteropTest.fixture("lora_layers");
        List<String> layer1 = List.of("model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
        TargetMatcher targets = PeftConfig.read(fixture).targetModules();
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            assertEquals(layer1, List.copyOf(Adapters.load(lm.model(), fixture).layers().keySet()));
        }
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            assertEquals(layer1, List.copyOf(Adapters.inject(lm.model(), SaraConfig.of(targets)).layers().keySet()));
        }
        try (Checkpoint checkpoint = Checkpoint.open(SharedData.tinyStories())) {
            assertEquals(layer1, RankPlanner.of(checkpoint, targets).targets().stream().map(t -> t.name()).toList());
        }
    }

    /**
     * PEFT's {@code all-linear} on tinystories-656k is every projection of both layers and not lm_head (the module
     * list PEFT 0.21's {@code get_peft_model} resolves it to); injection and the rank planner agree, {@code exclude}
     * still applies, and the saved adapter_config.json names the modules in full, as PEFT saves it.
     */
    @Test
    void allLinearIsEveryProjectionButTheOutputLayer(@TempDir Path tmp) throws Exception {
        List<String> peft = new ArrayList<>();
        for (int layer = 0; layer < 2; layer++) {
            for (String m : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")) {
                peft.add("model.layers." + layer + "." + m);
            }
        }
        TargetMatcher allLinear = TargetMatcher.parse("all-linear");
        AdaptedModel adapter;
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            adapter = Adapters.inject(lm.model(), SaraConfig.of(allLinear).withThreshold(0.1));
            assertEquals(Set.copyOf(peft), adapter.layers().keySet());
            adapter.save(tmp.resolve("adapter"));
        }
        PeftConfig saved = PeftConfig.read(tmp.resolve("adapter"));
        assertEquals(Set.copyOf(peft), Set.copyOf((List<?>) saved.targetModules().peftValue()));
        try (Checkpoint checkpoint = Checkpoint.open(SharedData.tinyStories())) {
            assertEquals(Set.copyOf(peft), RankPlanner.of(checkpoint, allLinear).targets().stream()
                    .map(t -> t.name()).collect(Collectors.toSet()));
        }
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            TargetMatcher withoutMlp = allLinear.withExclude("re:.*\\.mlp\\..*");
            assertEquals(peft.stream().filter(n -> n.contains("self_attn")).collect(Collectors.toSet()),
                    Adapters.inject(lm.model(), SaraConfig.of(withoutMlp)).layers().keySet());
        }
    }

    /** A merged checkpoint, loaded as a plain model, gives PEFT's logits for base + adapter. */
    @Test
    void mergedCheckpointGivesPeftLogits(@TempDir Path tmp) throws Exception {
        Path fixture = PeftInteropTest.fixture("lora_patterns");
        Path merged = tmp.resolve("merged");
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            MergedCheckpointWriter.write(SharedData.tinyStories(), Adapters.load(lm.model(), fixture), merged);
        }
        try (LanguageModel lm = LanguageModel.load(merged)) {
            assertLogits(lm, fixture, "merged");
        }
    }

    static Stream<Object[]> methods() {
        return Stream.of(new Object[] {LoraConfig.of(QV, 8, 16), 1e-2f},
                new Object[] {SaraConfig.of(QV).withThreshold(0.05), 1e-2f},
                new Object[] {MoSaraConfig.of(QV), 3e-2f});
    }

    /**
     * Each method on q_proj, v_proj lowers the E2E target loss of a held-out batch over 50 updates of SARA4J's
     * {@link Trainer} (batch 4, linear schedule without warm-up).
     */
    @ParameterizedTest
    @MethodSource("methods")
    void trainingLowersE2eLoss(AdapterConfig config, float learningRate) throws Exception {
        List<Example> lines = E2eData.examples(SharedData.require("data/e2e/valid.txt"));
        List<Example> trainLines = new ArrayList<>();
        for (int b = 0; b < 10; b++) {
            trainLines.addAll(lines.subList(b * 97, b * 97 + 4));
        }
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            long eos = lm.model().config().eosTokenIds().get(0);
            ExampleTokenizer tokenizer = ExampleTokenizer.of(lm.tokenizer(), eos, 256);
            TokenizedDataset held = e2e(tokenizer, lines.subList(3000, 3008));
            AdaptedModel adapter = Adapters.inject(lm.model(), config);
            float before = loss(lm, held, eos);
            TrainingOptions options = TrainingOptions.builder().learningRate(learningRate).batchSize(4)
                    .warmupSteps(0).maxSteps(50).build();
            Trainer.builder(adapter).data(e2e(tokenizer, trainLines)).padTokenId(eos).options(options).hooks(List.of())
                    .build().train();
            float after = loss(lm, held, eos);
            org.slf4j.LoggerFactory.getLogger(TinyStoriesAdapterTest.class).info(
                    "{}: held-out E2E loss {} -> {} after 50 steps", config.method(), before, after);
            assertTrue(after < before - 0.1f, config.method() + ": loss " + before + " -> " + after);
        }
    }

    private static TokenizedDataset e2e(ExampleTokenizer tokenizer, List<Example> examples) {
        return tokenizer.tokenize(examples);
    }

    /** Mean target cross-entropy of {@code data} as one batch, without gradients. */
    private static float loss(LanguageModel lm, TokenizedDataset data, long padId) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Batch batch = Batch.of(lm.manager(), data.examples(), padId);
            NDArray logits = lm.model().forward(new ParameterStore(lm.manager(), false), batch.inputIds(),
                    batch.attentionMask(), null, false);
            return CausalLmLoss.sum(logits, batch.labels()).getFloat() / batch.targetTokens();
        }
    }

    private static void assertLogits(LanguageModel lm, Path fixture, String what) throws IOException {
        try (SafetensorsFile expected = SafetensorsFile.open(fixture.resolve("expected.safetensors"));
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            long[] ids = expected.readLongs("input_ids");
            NDArray input = lm.manager().create(ids, new Shape(1, ids.length));
            float[] got = lm.model().forward(new ParameterStore(lm.manager(), false), input, null, null, false)
                    .toFloatArray();
            assertArrayEquals(expected.readFloats("logits"), got, 1e-4f, what);
        }
    }
}
