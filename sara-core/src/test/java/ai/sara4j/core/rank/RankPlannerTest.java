package ai.sara4j.core.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.testing.RankFixture;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.core.target.TargetMatcher;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RankPlannerTest {
    private static final RankFixture FIXTURE = RankFixture.load();
    private static final TargetMatcher SEVEN = TargetMatcher.names(FIXTURE.targets());

    /** The fixture's shapes as a checkpoint header, plus the non-target tensors of the real model. */
    static HeaderOnlySource fixtureModel() {
        HeaderOnlySource model = new HeaderOnlySource().add("lm_head.weight", 2048, 128);
        for (RankFixture.Module m : FIXTURE.modules()) {
            model.add(m.name() + ".weight", m.out(), m.in());
        }
        return model.add("model.norm.weight", 128);
    }

    /** Answers from the fixture, counting calls and refusing anything but the whole target list at once. */
    static SingularValueSource fixtureSource(AtomicInteger calls) {
        return (model, targets) -> {
            calls.incrementAndGet();
            assertEquals(FIXTURE.modules().size(), targets.size());
            return FIXTURE.singularValues();
        };
    }

    @Test
    void ranksEqualTheFloat64ReferenceForEveryModuleAndThreshold() throws Exception {
        RankPlanner planner = RankPlanner.of(fixtureModel(), SEVEN);
        AtomicInteger calls = new AtomicInteger();
        Map<String, Spectrum> spectra = planner.spectra(fixtureSource(calls));
        int checked = 0;
        for (double t : FIXTURE.thresholds()) {
            Map<String, Integer> ranks = planner.byThreshold(Method.SARA, t, spectra).ranks();
            for (RankFixture.Module m : FIXTURE.modules()) {
                assertEquals(m.ranks().get(t), ranks.get(m.name()), () -> m.name() + " at threshold " + t);
                checked++;
            }
        }
        assertEquals(14 * 10, checked);
        assertEquals(1, calls.get(), "singular values are computed once for all thresholds");
    }

    @Test
    void realCheckpointHasTheFixtureModulesAndShapes() throws Exception {
        try (Checkpoint model = Checkpoint.open(SharedData.tinyStories())) {
            RankPlanner planner = RankPlanner.of(model, SEVEN);
            List<String> names = new ArrayList<>();
            for (TargetModule t : planner.targets()) {
                names.add(t.name() + " " + t.out() + "x" + t.in());
            }
            List<String> expected = new ArrayList<>();
            FIXTURE.modules().forEach(m -> expected.add(m.name() + " " + m.out() + "x" + m.in()));
            assertEquals(expected, names.stream().sorted().toList());

            long numel = model.tensors().values().stream().mapToLong(TensorInfo::numel).sum();
            assertEquals(numel, planner.base());
            // 2048x128 tied embedding/head + 2 layers x (q 128x128, k 64x128, v 64x128, o 128x128, 3 x 384x128,
            // 2 norms of 128) + final norm 128
            assertEquals(2048L * 128 + 2 * (2 * 128 * 128 + 2 * 64 * 128 + 3 * 384 * 128 + 2 * 128) + 128, numel);

            RankPlan plan = planner.byThreshold(Method.SARA, 0.5, fixtureSource(new AtomicInteger()));
            assertEquals(26, plan.ranks().get("model.layers.0.self_attn.q_proj"));
            for (RankFixture.Module m : FIXTURE.modules()) {
                assertEquals(m.ranks().get(0.5), plan.ranks().get(m.name()), m.name());
            }
        }
    }

    @Test
    void fixedRankPlansReadNoWeights() {
        RankPlanner planner = RankPlanner.of(fixtureModel(), TargetMatcher.names("q_proj", "v_proj"));
        RankPlan lora = planner.fixedRank(Method.LORA, 8);
        assertEquals(4, lora.modules().size());
        assertNull(lora.threshold());
        assertEquals(8, lora.r());
        assertEquals(2 * 8 * (128 + 128) + 2 * 8 * (64 + 128), lora.trainable());
        assertEquals(2 * (8 * 256 + 8) + 2 * (8 * 192 + 8), planner.fixedRank(Method.SORA, 8).trainable());
        assertEquals(2 * (64 + 128) + 2 * (64 + 64), planner.fixedRank(Method.EDORA, 8).trainable());
        assertEquals((double) lora.trainable() / planner.base(), lora.share());
    }

    @Test
    void jsonHasTheDocumentedShape() throws Exception {
        HeaderOnlySource model = new HeaderOnlySource().add("embed.weight", 10, 4)
                .add("layers.0.attn.q_proj.weight", 4, 4).add("layers.0.attn.q_proj.bias", 4)
                .add("layers.1.attn.q_proj.weight", 2, 4);
        RankPlanner planner = RankPlanner.of(model, TargetMatcher.names("q_proj"));
        Map<String, Spectrum> spectra = Map.of(
                "layers.0.attn.q_proj", Spectrum.of("a", new double[] {4, 2, 1, 1}),
                "layers.1.attn.q_proj", Spectrum.of("b", new double[] {1, 3}));
        RankPlan sara = planner.byThreshold(Method.SARA, 0.75, spectra);
        assertEquals(sara.toJson(), planner.byThreshold(Method.SARA, 0.75, 5, spectra).toJson(),
                "the generic form does not use heads for SARA");
        assertEquals("{\"method\":\"sara\",\"threshold\":0.75,\"modules\":["
                + "{\"name\":\"layers.0.attn.q_proj\",\"shape\":[4,4],\"k\":2,\"trainable\":18},"
                + "{\"name\":\"layers.1.attn.q_proj\",\"shape\":[2,4],\"k\":1,\"trainable\":7}],"
                + "\"trainable\":25,\"base\":68}", sara.toJson()); // base 40 + 16 + 4 + 8

        RankPlan lora = planner.fixedRank(Method.LORA, 2);
        JsonNode json = new ObjectMapper().readTree(lora.toJson());
        assertTrue(json.get("threshold").isNull());
        assertEquals(2, json.get("r").asInt());
        assertEquals(2 * 8 + 2 * 6, json.get("trainable").asLong());

        RankPlan mosara = planner.byThreshold(Method.MOSARA, 0.75, 5, spectra);
        assertEquals(5, new ObjectMapper().readTree(mosara.toJson()).get("heads").asInt());
        assertEquals((5 * 2 + 4 + 2 + 5) + (5 + 2 + 1 + 5), mosara.trainable());
    }

    @Test
    void tableAndChartData() throws Exception {
        RankPlanner planner = RankPlanner.of(fixtureModel(), SEVEN);
        Map<String, Spectrum> spectra = planner.spectra((m, t) -> FIXTURE.singularValues());
        RankPlan plan = planner.byThreshold(Method.SARA, 0.5, spectra);
        String table = plan.toTable();
        assertTrue(table.startsWith("method sara, threshold 0.5\n"), table);
        assertTrue(table.contains("model.layers.0.self_attn.q_proj      128x128     26          6682\n"), table);
        assertTrue(table.contains("total (14 modules)"), table);
        assertTrue(table.contains("base parameters " + planner.base()), table);
        long rows = table.lines().filter(l -> l.startsWith("model.layers.")).count();
        assertEquals(14, rows);

        Map<String, SortedMap<Integer, Integer>> byKind = plan.ranksByKind();
        assertEquals(List.of("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"),
                new ArrayList<>(byKind.keySet()));
        assertEquals(new TreeMap<>(Map.of(0, 26, 1, 26)), byKind.get("q_proj"));
        assertEquals(new TreeMap<>(Map.of(0, 17, 1, 18)), byKind.get("k_proj"));
    }

    @Test
    void transposedConv1DWeightsReportOutByIn() {
        // GPT-2 stores Conv1D weights as [in, out]: c_attn 768 -> 2304
        HeaderOnlySource model = new HeaderOnlySource().add("transformer.h.0.attn.c_attn.weight", 768, 2304)
                .add("transformer.h.0.attn.c_proj.weight", 768, 768).add("lm_head.weight", 50257, 768);
        RankPlanner planner = RankPlanner.of(model, TargetMatcher.names("c_attn", "lm_head"),
                module -> module.startsWith("transformer.h."));
        TargetModule attn = planner.targets().get(0);
        assertEquals(new TargetModule("transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_attn.weight", 2304, 768,
                true), attn);
        assertEquals(new TargetModule("lm_head", "lm_head.weight", 50257, 768, false), planner.targets().get(1));
        assertTrue(planner.fixedRank(Method.LORA, 4).toJson().contains("\"shape\":[2304,768]"));
    }

    /** Exclusion and the layer rule pick the planned modules, as they pick the injected ones. */
    @Test
    void plansOnlyTheLayersAndModulesTheMatcherKeeps() throws Exception {
        RankPlanner planner = RankPlanner.of(fixtureModel(),
                SEVEN.withExclude("mlp.down_proj").withLayers(List.of(1), List.of("layers")));
        List<String> names = planner.targets().stream().map(TargetModule::name).sorted().toList();
        assertEquals(List.of("model.layers.1.mlp.gate_proj", "model.layers.1.mlp.up_proj",
                "model.layers.1.self_attn.k_proj", "model.layers.1.self_attn.o_proj", "model.layers.1.self_attn.q_proj",
                "model.layers.1.self_attn.v_proj"), names);
    }

    @Test
    void errorsNameTheOptionOrModule() throws Exception {
        HeaderOnlySource model = fixtureModel();
        String none = assertThrows(IllegalArgumentException.class,
                () -> RankPlanner.of(model, TargetMatcher.names("c_attn"))).getMessage();
        assertTrue(none.contains("target_modules c_attn match no module; modules there include: ")
                && none.contains("lm_head")
                && none.contains("q_proj") && none.contains("down_proj"), none);

        RankPlanner planner = RankPlanner.of(model, SEVEN);
        String missing = assertThrows(IllegalArgumentException.class, () -> planner.spectra((m, t) -> Map.of()))
                .getMessage();
        assertTrue(missing.startsWith("model.layers.0.mlp.down_proj: no singular values"), missing);
        String count = assertThrows(IllegalArgumentException.class, () -> planner.spectra((m, t) -> {
            Map<String, double[]> sv = FIXTURE.singularValues();
            sv.put("model.layers.1.self_attn.v_proj", new double[] {1, 2});
            return sv;
        })).getMessage();
        assertEquals("model.layers.1.self_attn.v_proj: 2 singular values for a 64x128 weight, expected 64", count);
        String zero = assertThrows(IllegalArgumentException.class, () -> planner.spectra((m, t) -> {
            Map<String, double[]> sv = FIXTURE.singularValues();
            sv.put("model.layers.1.self_attn.v_proj", new double[64]);
            return sv;
        })).getMessage();
        assertTrue(zero.startsWith("model.layers.1.self_attn.v_proj: all singular values are 0"), zero);

        Map<String, Spectrum> spectra = planner.spectra((m, t) -> FIXTURE.singularValues());
        assertThrows(IllegalArgumentException.class, () -> planner.fixedRank(Method.SARA, 8));
        assertThrows(IllegalArgumentException.class, () -> planner.byThreshold(Method.LORA, 0.5, 0, spectra));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> planner.byThreshold(Method.MOSARA, 0.5, 0, spectra)).getMessage().contains("head"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> planner.byThreshold(Method.MOSARA, 0.5, spectra)).getMessage().contains("heads"));
        assertThrows(IllegalArgumentException.class, () -> planner.byThreshold(Method.LORA, 0.5, spectra));
        assertEquals("threshold must be in (0, 1], got 1.5", assertThrows(IllegalArgumentException.class,
                () -> planner.byThreshold(Method.SARA, 1.5, spectra)).getMessage());
        assertEquals("rank r must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> planner.fixedRank(Method.LORA, 0)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> planner.fixedRank(Method.EDORA, 65))
                .getMessage().contains("self_attn.k_proj: EDoRA rank r=65 exceeds min(out, in) = 64"));
    }
}
