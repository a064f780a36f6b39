package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.sora.SoraConfig;
import ai.sara4j.djl.adapter.sora.SoraLayer;
import ai.sara4j.djl.adapter.sora.XiSchedule;
import ai.sara4j.djl.model.CausalLM;
import ai.sara4j.djl.model.ModelLoader;
import ai.sara4j.djl.train.StepHook;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SoRA: the proximal step and ξ schedules against hand-computed values, pruning, and PEFT interop. */
class SoraTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");
    private static final String Q0 = "model.layers.0.self_attn.q_proj";
    private static final String Q1 = "model.layers.1.self_attn.q_proj";

    @Test
    void proximalStepSoftThresholdsTheGatesByLrTimesXi() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            AdaptedModel adapter = Adapters.inject(model,
                    SoraConfig.of(QV).withRank(5, 5).withXi(XiSchedule.constant(0.25)));
            List<StepHook> hooks = adapter.stepHooks();
            assertEquals(1, hooks.size());
            for (AdapterLayer layer : adapter.layers().values()) {
                ((SoraLayer) layer).gate().getArray().set(new float[] {0.5f, -0.02f, 0.03f, -1f, 0f});
            }
            hooks.get(0).afterUpdate(1, 0.1f); // threshold 0.1 · 0.25 = 0.025
            for (AdapterLayer layer : adapter.layers().values()) {
                assertArrayEquals(new float[] {0.475f, 0f, 0.005f, -0.975f, 0f},
                        ((SoraLayer) layer).gate().getArray().toFloatArray(), 1e-7f);
            }
            Map<String, Number> metrics = hooks.get(0).metrics();
            assertEquals(3, metrics.get("live_rank/" + Q0).intValue());
            assertEquals(12, metrics.get("live_rank/total").intValue());
            assertEquals(0.25, metrics.get("sora_xi").doubleValue(), 0);
        }
    }

    @Test
    void scheduleValuesAreTheSoraCodesLists() {
        assertArrayEquals(new double[] {0.1, 0.2, 0.3, 0.4, 0.5},
                XiSchedule.builder(XiSchedule.Kind.LINEAR).from(0.1).to(0.5).stages(5).stageSteps(10).build()
                        .values(), 1e-15);
        assertArrayEquals(new double[] {1e-3, 1e-2, 1e-1},
                XiSchedule.builder(XiSchedule.Kind.EXP_LINEAR).from(1e-3).to(1e-1).stages(3).stageSteps(10).build()
                        .values(), 1e-15);
        // log(linspace(e^0, e^1, 3)) = [0, log((1 + e)/2), 1]
        assertArrayEquals(new double[] {0, Math.log((1 + Math.E) / 2), 1},
                XiSchedule.builder(XiSchedule.Kind.LOG_LINEAR).from(0).to(1).stages(3).stageSteps(10).build()
                        .values(), 1e-15);
        XiSchedule linear = XiSchedule.builder(XiSchedule.Kind.LINEAR).from(0.1).to(0.5).stages(5).stageSteps(10).build();
        assertEquals(0.1, linear.at(1));
        assertEquals(0.1, linear.at(10));
        assertEquals(0.2, linear.at(11));
        assertEquals(0.5, linear.at(41));
        assertEquals(0.5, linear.at(1000));
        assertEquals(0.7, XiSchedule.constant(0.7).at(5000));
        assertThrows(IllegalArgumentException.class,
                () -> XiSchedule.builder(XiSchedule.Kind.EXP_LINEAR).from(0).to(1).stages(3).stageSteps(10).build());
    }

    @Test
    void configureTakesXiOptionsAndRefusesOthers() {
        AdapterMethod sora = AdapterMethods.byName("sora");
        AdapterOptions defaults = AdapterOptions.defaults(QV, 7);
        SoraConfig config = (SoraConfig) sora.configure(defaults);
        assertEquals(8, config.r());
        assertEquals(2.0, config.scaling());
        assertEquals(XiSchedule.constant(SoraConfig.DEFAULT_XI), config.xi());
        SoraConfig scheduled = (SoraConfig) sora.configure(withExtra(defaults, Map.of("xi", "0.1",
                "xi_schedule", "linear", "xi_max", "0.5", "xi_stages", "5", "xi_stage_steps", "100")));
        assertEquals(XiSchedule.builder(XiSchedule.Kind.LINEAR).from(0.1).to(0.5).stages(5).stageSteps(100).build(),
                scheduled.xi());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> sora.configure(withExtra(defaults, Map.of("lambda", "1"))));
        assertTrue(unknown.getMessage().contains("'lambda'"), unknown.getMessage());
        IllegalArgumentException threshold = assertThrows(IllegalArgumentException.class, () -> sora.configure(
                AdapterOptions.builder(QV).threshold(0.1).seed(1).build()));
        assertTrue(threshold.getMessage().contains("'threshold'"), threshold.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> sora.configure(withExtra(defaults, Map.of("xi_schedule", "linear"))));
    }

    private static AdapterOptions withExtra(AdapterOptions o, Map<String, String> extra) {
        return o.toBuilder().extra(extra).build();
    }

    /**
     * Gates with zeros (one module all zero): the exported pruned LoRA, loaded on a fresh copy of the network, gives
     * the unpruned SoRA's outputs; it has rank nnz(g) per module and leaves out the all-zero module; merging the
     * SoRA adapter gives the same outputs too.
     */
    @Test
    void prunedLoraEqualsUnprunedSora(@TempDir Path tmp) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT64, 1);
            AdaptedModel sora = Adapters.inject(model, SoraConfig.of(QV).withRank(4, 6));
            TestNets.randomise(sora, 5);
            ((SoraLayer) sora.layers().get(Q0)).gate().getArray().set(new double[] {0.7, 0, -1.2, 0});
            ((SoraLayer) sora.layers().get(Q1)).gate().getArray().set(new double[] {0, 0, 0, 0});
            NDArray x = TestNets.input(manager, DataType.FLOAT64, 3);
            double[] unpruned = TestNets.forward(model, x, false).toDoubleArray();

            Path exported = tmp.resolve("pruned");
            sora.exportPeft(exported, null);
            PeftConfig file = PeftConfig.read(exported);
            assertEquals(Map.of(Q0, 2, "model.layers.0.self_attn.v_proj", 4, "model.layers.1.self_attn.v_proj", 4),
                    file.rankPattern());
            assertTrue(file.targetModules().matches(Q0));
            assertTrue(!file.targetModules().matches(Q1), "all-zero module exported: " + file.targetModules());
            Block fresh = TestNets.build(manager, DataType.FLOAT64, 1);
            AdaptedModel lora = Adapters.load(fresh, exported);
            assertEquals("lora", lora.config().method());
            assertArrayEquals(unpruned, TestNets.forward(fresh, x, false).toDoubleArray(), 1e-12);

            sora.merge();
            assertArrayEquals(unpruned, TestNets.forward(model, x, false).toDoubleArray(), 1e-12);
            sora.unmerge();
        }
    }

    @Test
    void savedAndLoadedSoraKeepsItsConfigAndOutputs(@TempDir Path tmp) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block model = TestNets.build(manager, DataType.FLOAT32, 1);
            XiSchedule xi = XiSchedule.builder(XiSchedule.Kind.EXP_LINEAR).from(0.01).to(1).stages(4).stageSteps(50)
                    .build();
            AdaptedModel sora = Adapters.inject(model, SoraConfig.of(QV).withRank(3, 3).withXi(xi));
            TestNets.randomise(sora, 9);
            NDArray x = TestNets.input(manager, DataType.FLOAT32, 3);
            sora.save(tmp.resolve("sora"));
            Block fresh = TestNets.build(manager, DataType.FLOAT32, 1);
            AdaptedModel loaded = Adapters.load(fresh, tmp.resolve("sora"));
            assertEquals(sora.config(), loaded.config());
            assertArrayEquals(TestNets.forward(model, x, false).toFloatArray(),
                    TestNets.forward(fresh, x, false).toFloatArray(), 1e-6f);
        }
    }

    /**
     * SoRA with the fixture's tensors reproduces PEFT's logits for the pruned LoRA, exports PEFT's tensors, and its
     * merged checkpoint and re-imported export give the same logits.
     */
    @Test
    void prunedExportReproducesPeftLogits(@TempDir Path tmp) throws Exception {
        Path fixture = PeftFixtures.folder("sora_pruned");
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile factors = SafetensorsFile.open(fixture.resolve("sora_factors.safetensors"))) {
            CausalLM model = ModelLoader.load(SharedData.tinyStories(), manager);
            AdaptedModel sora = Adapters.inject(model, SoraConfig.of(QV).withRank(4, 8));
            PeftFixtures.fill(sora, factors);
            PeftFixtures.assertLogits(manager, model, fixture);

            Path exported = tmp.resolve("export");
            sora.exportPeft(exported, "tinystories-656k");
            PeftFixtures.assertSameTensors(fixture, exported);
            PeftConfig ours = PeftConfig.read(exported);
            PeftConfig peft = PeftConfig.read(fixture);
            assertEquals(peft.rankPattern(), ours.rankPattern());
            assertEquals(peft.alphaPattern(), ours.alphaPattern());
            assertEquals(Set.copyOf((List<?>) peft.targetModules().peftValue()),
                    Set.copyOf((List<?>) ours.targetModules().peftValue()));

            MergedCheckpointWriter.write(SharedData.tinyStories(), sora, tmp.resolve("merged"));
            PeftFixtures.assertLogits(manager, ModelLoader.load(tmp.resolve("merged"), manager), fixture);

            CausalLM fresh = ModelLoader.load(SharedData.tinyStories(), manager);
            Adapters.load(fresh, exported);
            PeftFixtures.assertLogits(manager, fresh, fixture);
        }
    }
}
