package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode llamaJson() throws Exception {
        return (ObjectNode) JSON.readTree(Fixtures.model("llama-gqa").resolve("config.json").toFile());
    }

    @Test
    void llamaFieldsAreRead() throws Exception {
        ModelConfig c = ModelConfig.read(Fixtures.model("llama-gqa").resolve("config.json"));
        assertEquals(ModelFamily.LLAMA, c.family());
        assertEquals(48, c.hiddenSize());
        assertEquals(16, c.headDim()); // head_dim given explicitly, not hidden / heads
        assertEquals(2, c.numKvHeads());
        assertEquals(List.of(2L, 5L), c.eosTokenIds());
        assertTrue(c.attentionBias());
        assertEquals(Rope.Type.LLAMA3, c.rope().scaling().type());
        assertEquals(100.0, c.rope().theta());
    }

    @Test
    void llama3InverseFrequenciesMatchTransformers() throws Exception {
        // transformers' ROPE_INIT_FUNCTIONS["llama3"] for the fixture config (theta 100, dim 16, factor 4,
        // low 1, high 4, original 32), float32
        double[] want = {1.0, 0.4026336967945099, 0.1273239552974701, 0.04445698484778404, 0.02500000037252903,
            0.014058532193303108, 0.007905694656074047, 0.004445698577910662};
        double[] got = ModelConfig.read(Fixtures.model("llama-gqa").resolve("config.json")).rope().inverseFrequencies();
        assertArrayEquals(want, got, 1e-7);
    }

    @Test
    void ropeParametersAndLegacyRopeScalingAgree() throws Exception {
        ObjectNode modern = llamaJson();
        ObjectNode legacy = llamaJson();
        JsonNode params = legacy.remove("rope_parameters");
        legacy.put("rope_theta", params.get("rope_theta").asDouble());
        ObjectNode scaling = legacy.putObject("rope_scaling");
        scaling.put("type", "llama3"); // the pre-4.45 key
        for (String k : new String[] {"factor", "low_freq_factor", "high_freq_factor",
            "original_max_position_embeddings"}) {
            scaling.set(k, params.get(k));
        }
        assertEquals(ModelConfig.parse(modern, "modern").rope(), ModelConfig.parse(legacy, "legacy").rope());

        ObjectNode plain = llamaJson();
        plain.remove("rope_parameters");
        plain.putNull("rope_scaling");
        plain.put("rope_theta", 500000.0);
        Rope rope = ModelConfig.parse(plain, "plain").rope();
        assertEquals(Rope.plain(500000.0, 16, false), rope);
    }

    @Test
    void gptjAndGpt2Fields() throws Exception {
        ModelConfig j = ModelConfig.read(Fixtures.model("gptj").resolve("config.json"));
        assertEquals(new Rope(10000, 4, true, Rope.Scaling.NONE), j.rope());
        assertEquals(128, j.intermediateSize()); // n_inner null → 4·n_embd
        assertTrue(j.lmHeadBias());
        ModelConfig g = ModelConfig.read(Fixtures.model("gpt2").resolve("config.json"));
        assertNull(g.rope());
        assertTrue(g.tieWordEmbeddings());
        assertEquals(64, g.maxPositions());
    }

    @Test
    void badValuesAreNamed() throws Exception {
        ObjectNode heads = llamaJson();
        heads.put("num_key_value_heads", 3);
        assertTrue(assertThrows(ModelException.class, () -> ModelConfig.parse(heads, "cfg")).getMessage()
                .contains("not a multiple of key/value heads (3)"));
        ObjectNode yarn = llamaJson();
        ((ObjectNode) yarn.get("rope_parameters")).put("rope_type", "yarn");
        assertTrue(assertThrows(ModelException.class, () -> ModelConfig.parse(yarn, "cfg")).getMessage()
                .contains("unsupported rope type 'yarn'"));
        ObjectNode act = llamaJson();
        act.put("hidden_act", "swiglu2");
        assertTrue(assertThrows(ModelException.class, () -> ModelConfig.parse(act, "cfg")).getMessage()
                .contains("unsupported hidden_act 'swiglu2'"));
        ObjectNode missing = llamaJson();
        missing.remove("hidden_size");
        assertEquals("cfg: missing 'hidden_size'",
                assertThrows(ModelException.class, () -> ModelConfig.parse(missing, "cfg")).getMessage());
    }

    @Test
    void presetParameterCountsMatchThePublishedModels() {
        // transformers 5.17's num_parameters() of each preset's config on the meta device (tools/fixtures/
        // preset_parameter_counts.py), the published models' counts
        Map<String, Long> published = new LinkedHashMap<>();
        published.put("llama-7b", 6_738_415_616L);
        published.put("llama-13b", 13_015_864_320L);
        published.put("tinyllama-1.1b", 1_100_048_384L);
        published.put("gpt-j-6b", 6_050_882_784L);
        published.put("gpt2", 124_439_808L);
        published.put("mistral-7b", 7_241_732_096L);
        published.put("qwen2.5-7b", 7_615_616_512L);
        published.put("qwen3-8b", 8_190_735_360L);
        published.put("gemma-7b", 8_537_680_896L);
        published.put("gemma-2-9b", 9_241_705_984L);
        published.put("phi-3-mini-4k", 3_821_079_552L);
        published.put("pythia-6.9b", 6_857_302_016L);
        published.put("olmo-2-7b", 7_298_617_344L);
        assertEquals(List.copyOf(published.keySet()), List.copyOf(ModelPresets.names()));
        published.forEach((name, count) -> assertEquals(count, ModelPresets.get(name).parameterCount(), name));
        assertThrows(IllegalArgumentException.class, () -> ModelPresets.get("llama-70b"));
    }

    @Test
    void randomModelHasTheConfigShapesAndCountsParametersLikeTheConfig() throws Exception {
        for (String name : Fixtures.TINY) {
            ModelConfig config = ModelConfig.read(Fixtures.model(name).resolve("config.json"));
            try (NDManager manager = NDManager.newBaseManager()) {
                CausalLM model = ModelLoader.random(config, manager, DataType.FLOAT32, 1);
                long count = model.namedParameters().entrySet().stream()
                        .filter(e -> !(config.tieWordEmbeddings() && e.getKey().equals("lm_head.weight")))
                        .mapToLong(e -> e.getValue().getShape().size())
                        .sum();
                assertEquals(config.parameterCount(), count, name);
                long[] ids = {1, 2, 3};
                NDArray logits = model.forward(new ParameterStore(manager, false),
                        manager.create(ids, new Shape(1, 3)), null, null, false);
                assertEquals(new Shape(1, 3, config.vocabSize()), logits.getShape());
            }
        }
    }

    private static ObjectNode json(String fixture) throws Exception {
        return (ObjectNode) JSON.readTree(Fixtures.model(fixture).resolve("config.json").toFile());
    }

    private static String refusal(ObjectNode config) {
        return assertThrows(ModelException.class, () -> ModelConfig.parse(config, "c.json")).getMessage();
    }

    /** Values transformers 5.17 gives fields the fixtures' config.json files leave out or set to null. */
    @Test
    void familyDefaultsAndNullsAreTransformers() throws Exception {
        ObjectNode mistral = json("mistral");
        mistral.remove("sliding_window"); // MistralConfig's default 4096
        assertEquals(4096, ModelConfig.parse(mistral, "m").slidingWindow(1));
        mistral.putNull("sliding_window"); // Mistral v0.2+: no window
        assertEquals(0, ModelConfig.parse(mistral, "m").slidingWindow(1));

        ObjectNode qwen2 = json("qwen2");
        qwen2.remove("layer_types");
        assertEquals(List.of(0, 4), List.of(ModelConfig.parse(qwen2, "q").slidingWindow(0),
                ModelConfig.parse(qwen2, "q").slidingWindow(1))); // layers from max_window_layers (1) on slide
        qwen2.put("use_sliding_window", false);
        assertEquals(0, ModelConfig.parse(qwen2, "q").slidingWindow(1));

        ObjectNode gemma2 = json("gemma2");
        gemma2.remove("layer_types"); // alternating, layer 0 sliding
        ModelConfig g = ModelConfig.parse(gemma2, "g");
        assertEquals(List.of(4, 0), List.of(g.slidingWindow(0), g.slidingWindow(1)));
        assertEquals(1 / Math.sqrt(24), g.attentionScale(), 1e-15); // query_pre_attn_scalar, not head_dim 16
        gemma2.putNull("attn_logit_softcapping");
        gemma2.remove("final_logit_softcapping"); // Gemma2Config's default 30
        g = ModelConfig.parse(gemma2, "g");
        assertEquals(0, g.variations().attentionSoftcap());
        assertEquals(30, g.variations().finalSoftcap());
        assertEquals(Math.sqrt(32), g.variations().embeddingScale(), 1e-12);
    }

    /** Hub GPT-NeoX configs name the rope fields rotary_pct and rotary_emb_base; transformers 5 rope_parameters. */
    @Test
    void gptNeoxLegacyRotaryFieldsEqualRopeParameters() throws Exception {
        ObjectNode modern = json("gpt_neox");
        ObjectNode legacy = json("gpt_neox");
        JsonNode params = legacy.remove("rope_parameters");
        legacy.put("rotary_pct", params.get("partial_rotary_factor").asDouble());
        legacy.put("rotary_emb_base", params.get("rope_theta").asDouble());
        Rope want = ModelConfig.parse(modern, "modern").rope();
        assertEquals(4, want.rotaryDim()); // head 8, factor 0.5
        assertEquals(want, ModelConfig.parse(legacy, "legacy").rope());
        legacy.remove("rotary_pct"); // GPTNeoXConfig's default 0.25
        assertEquals(2, ModelConfig.parse(legacy, "legacy").rope().rotaryDim());
    }

    @Test
    void valuesThatChangeTheMathAndAreNotImplementedAreRefusedByName() throws Exception {
        ObjectNode phi3 = json("phi3");
        ObjectNode longrope = phi3.putObject("rope_parameters");
        longrope.put("rope_type", "longrope");
        longrope.put("rope_theta", 10000.0);
        assertTrue(refusal(phi3).contains("unsupported rope type 'longrope'"), refusal(phi3));

        ObjectNode llama = llamaJson();
        ((ObjectNode) llama.get("rope_parameters")).put("partial_rotary_factor", 0.5);
        assertTrue(refusal(llama).contains("partial_rotary_factor 0.5"), refusal(llama));

        ObjectNode gemma = json("gemma");
        gemma.put("use_bidirectional_attention", true);
        assertTrue(refusal(gemma).contains("use_bidirectional_attention"), refusal(gemma));

        ObjectNode gemma2 = json("gemma2");
        gemma2.putArray("layer_types").add("sliding_attention").add("chunked_attention");
        assertTrue(refusal(gemma2).contains("unsupported layer type \"chunked_attention\""), refusal(gemma2));
        gemma2.putArray("layer_types").add("full_attention");
        assertTrue(refusal(gemma2).contains("'layer_types' must be a list of 2 strings"), refusal(gemma2));

        ObjectNode other = llamaJson();
        other.put("model_type", "mixtral");
        assertTrue(refusal(other).contains("unsupported model_type 'mixtral' (supported: llama, gptj, gpt2, mistral,"
                + " qwen2, qwen3, gemma, gemma2, phi3, gpt_neox, olmo2)"), refusal(other));
    }

    /** The count from config.json alone equals the parameters transformers saved (a tied head is stored once). */
    @Test
    void parameterCountEqualsTheTensorsTransformersSaved() throws Exception {
        for (String name : Fixtures.TINY) {
            long saved = 0;
            try (SafetensorsFile file = SafetensorsFile.open(Fixtures.model(name).resolve("model.safetensors"))) {
                for (TensorInfo t : file.tensors().values()) {
                    saved += t.name().endsWith(".attn.bias") || t.name().endsWith(".attn.masked_bias") ? 0 : t.numel();
                }
            }
            assertEquals(saved, ModelConfig.read(Fixtures.model(name).resolve("config.json")).parameterCount(), name);
        }
    }
}
