package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.djl.adapter.lora.LoraLayer;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.nn.Modules;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PEFT interoperability on the real tinystories-656k projections, against fixtures made by
 * {@code tools/fixtures/make_adapter_fixtures.py} with HF PEFT: importing PEFT LoRA folders reproduces PEFT's layer
 * outputs, and SARA exported as LoRA equals the LoRA PEFT builds from the same factors.
 */
class PeftInteropTest {
    private static final String Q0 = "model.layers.0.self_attn.q_proj";
    private static final String V0 = "model.layers.0.self_attn.v_proj";

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(PeftInteropTest.class.getResource("/fixtures/adapters/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lora_plain", "lora_patterns", "lora_rslora", "sara_as_lora"})
    void importedPeftLoraReproducesPeftLayerOutputs(String name) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile expected = SafetensorsFile.open(fixture(name).resolve("expected.safetensors"))) {
            Block model = TinyStoriesProjections.load(manager);
            AdaptedModel adapter = Adapters.load(model, fixture(name));
            assertEquals(4, adapter.layers().size());
            assertLayerOutputs(manager, model, expected, name);
        }
    }

    @Test
    void patternsAndRsloraGiveThePeftRanksAndScalings() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel patterns = Adapters.load(TinyStoriesProjections.load(manager), fixture("lora_patterns"));
            // rank_pattern {layers.0 q_proj: 2, v_proj: 6}, alpha_pattern {q_proj: 3}, r=4, alpha=8
            assertEquals(Map.of(Q0, 2, V0, 6, "model.layers.1.self_attn.q_proj", 4,
                    "model.layers.1.self_attn.v_proj", 6), patterns.ranks());
            assertEquals(1.5, ((LoraLayer) patterns.layers().get(Q0)).scaling(), 1e-12);
            assertEquals(8.0 / 6, ((LoraLayer) patterns.layers().get(V0)).scaling(), 1e-12);
            AdaptedModel rs = Adapters.load(TinyStoriesProjections.load(manager), fixture("lora_rslora"));
            assertEquals(4.0, ((LoraLayer) rs.layers().get(Q0)).scaling(), 1e-12); // 8/√4
        }
    }

    /**
     * SARA with the fixture's known U, λ, V: its exported LoRA tensors equal those PEFT was given, the export
     * re-imported reproduces PEFT's layer outputs, and so does the SARA layer itself. (That PEFT in Python loads
     * SARA4J's exported folder cannot be checked from Java; the exported config uses only fields PEFT's own
     * sara_as_lora fixture has, with the same values.)
     */
    @Test
    void saraExportMatchesPeftLora(@TempDir Path tmp) throws Exception {
        Path fixture = fixture("sara_as_lora");
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile factors = SafetensorsFile.open(fixture.resolve("sara_factors.safetensors"));
                SafetensorsFile expected = SafetensorsFile.open(fixture.resolve("expected.safetensors"))) {
            Map<String, Integer> ranks = new LinkedHashMap<>();
            for (String t : factors.tensors().keySet()) {
                if (t.endsWith(".sara_lambda")) {
                    ranks.put(t.substring(0, t.length() - ".sara_lambda".length()),
                            (int) factors.info(t).shape()[0]);
                }
            }
            Block model = TinyStoriesProjections.load(manager);
            AdaptedModel sara = Adapters.inject(model,
                    SaraConfig.of(TargetMatcher.names("q_proj", "v_proj")).withRankPattern(ranks).withDropout(0));
            assertEquals(ranks, sara.ranks());
            sara.layers().forEach((module, layer) -> layer.tensors().forEach((tensor, p) -> {
                try {
                    TensorLoader.fill(factors, module + "." + tensor, p);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }));
            assertLayerOutputs(manager, model, expected, "SARA layer");

            Path exported = tmp.resolve("export");
            sara.exportPeft(exported, "tinystories-656k");
            try (SafetensorsFile ours = SafetensorsFile.open(exported.resolve(Adapters.WEIGHTS_FILE));
                    SafetensorsFile peft = SafetensorsFile.open(fixture.resolve(Adapters.WEIGHTS_FILE))) {
                assertEquals(peft.tensors().keySet(), ours.tensors().keySet());
                for (String t : peft.tensors().keySet()) {
                    assertArrayEquals(peft.readFloats(t), ours.readFloats(t), 1e-6f, t);
                }
            }
            PeftConfig ours = PeftConfig.read(exported);
            PeftConfig peft = PeftConfig.read(fixture);
            assertEquals(peft.rankPattern(), ours.rankPattern());
            assertEquals(peft.alphaPattern(), ours.alphaPattern());
            assertEquals("LORA", ours.peftType());
            assertTrue(ours.extension().isEmpty());

            Block fresh = TinyStoriesProjections.load(manager);
            Adapters.load(fresh, exported);
            assertLayerOutputs(manager, fresh, expected, "re-imported export");
        }
    }

    private static void assertLayerOutputs(NDManager manager, Block model, SafetensorsFile expected, String what)
            throws IOException {
        NDArray x = manager.create(expected.readFloats("layer_input"), new Shape(expected.info("layer_input").shape()));
        for (String module : new String[] {Q0, V0}) {
            String proj = module.substring(module.lastIndexOf('.') + 1);
            float[] want = expected.readFloats(proj + "_output");
            float[] got = TestNets.forward(Modules.get(model, module), x, false).toFloatArray();
            assertArrayEquals(want, got, 1e-5f, what + " " + module);
        }
    }
}
