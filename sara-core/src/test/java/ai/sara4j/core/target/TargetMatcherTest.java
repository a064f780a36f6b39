package ai.sara4j.core.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.peft.PeftConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetMatcherTest {

    /**
     * Every case of the fixture made by tools/fixtures/make_target_fixtures.py with PEFT's own functions: the
     * fields go through PeftConfig (as an adapter_config.json would), and the matcher must agree with
     * check_target_module_exists on match and exclusion, and refuse what PEFT's LoraConfig refuses.
     */
    @Test
    void agreesWithPeftOnEveryFixtureCase() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/peft-target-cases.json")) {
            cases = json.readTree(in);
        }
        assertTrue(cases.size() >= 1000);
        int matches = 0;
        int excluded = 0;
        int refused = 0;
        for (JsonNode c : cases) {
            ObjectNode fields = ((ObjectNode) c.deepCopy()).retain(FIELDS);
            PeftConfig file = PeftConfig.parse(json.writeValueAsString(fields));
            if (c.has("error")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, file::targetModules,
                        fields::toString);
                String option = c.get("error").asText().contains("layers_to_transform` cannot")
                        ? "layers_to_transform" : "layers_pattern";
                assertTrue(e.getMessage().contains(option), e.getMessage());
                refused++;
                continue;
            }
            TargetMatcher matcher = file.targetModules();
            String key = c.get("key").asText();
            boolean expected = c.get("match").asBoolean();
            assertEquals(expected, matcher.matches(key), () -> fields + " vs " + key);
            assertEquals(c.get("excluded").asBoolean(), matcher.excludes(key), () -> fields + " vs " + key);
            matches += expected ? 1 : 0;
            excluded += matcher.excludes(key) ? 1 : 0;
        }
        assertEquals(229, matches, "the fixture exercises both answers");
        assertEquals(50, excluded);
        assertEquals(3, refused);
    }

    private static final List<String> FIELDS = List.of("target_modules", "exclude_modules", "layers_to_transform",
            "layers_pattern");

    @Test
    void layerIndexIsTheFirstNumberedSegmentOrFollowsThePattern() {
        TargetMatcher anyList = TargetMatcher.names("q_proj", "model.layers.1.mlp.down_proj").withLayers(List.of(1),
                List.of());
        assertTrue(anyList.matches("model.layers.1.self_attn.q_proj"));
        assertFalse(anyList.matches("model.layers.0.self_attn.q_proj"));
        assertTrue(anyList.matches("model.layers.1.experts.0.q_proj"), "the first index, not the expert's");
        assertFalse(anyList.matches("layers.1.q_proj"), "PEFT's default needs a segment before the list name");
        assertTrue(anyList.matches("q_proj"), "a name listed in full skips the layer rule");
        assertFalse(anyList.matches("model.layers.0.mlp.down_proj"));

        TargetMatcher gpt2 = TargetMatcher.names("c_attn", "q_proj").withLayers(List.of(3), List.of("h"));
        assertTrue(gpt2.matches("transformer.h.3.attn.c_attn"));
        assertFalse(gpt2.matches("transformer.h.1.attn.c_attn"));
        assertFalse(gpt2.matches("model.layers.3.self_attn.q_proj"), "no 'h.<n>.' segment: not a target");
        assertEquals(List.of(3), gpt2.layersToTransform());
        assertEquals(List.of("h"), gpt2.layersPattern());
    }

    @Test
    void excludeWinsAndSelectReportsLikePeft() {
        List<String> modules = List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj", "lm_head");
        TargetMatcher m = TargetMatcher.parse("q_proj,v_proj").withExclude("re:.*layers\\.0\\..*");
        assertEquals(List.of("model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"),
                m.select(modules, "model"));

        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> TargetMatcher.parse("k_proj").withLayers(List.of(7), List.of()).select(modules, "model"));
        assertEquals("model: target_modules k_proj (layers_to_transform [7]) match no module", none.getMessage());
        IllegalArgumentException all = assertThrows(IllegalArgumentException.class,
                () -> TargetMatcher.parse("q_proj").withExclude("re:.*").select(modules, "model"));
        assertTrue(all.getMessage().contains("excludes every module"), all.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> TargetMatcher.parse("q_proj").withExclude("q_proj").select(modules, "model"));
        assertTrue(both.getMessage().contains("no module is targeted"), both.getMessage());
    }

    @Test
    void everyRuleTakesPartInEquality() {
        TargetMatcher base = TargetMatcher.parse("q_proj,v_proj");
        TargetMatcher full = base.withExclude("o_proj").withLayers(List.of(0, 1), List.of("layers"));
        assertEquals(full, TargetMatcher.parse("q_proj,v_proj").withExcludeNames(List.of("o_proj"))
                .withLayers(List.of(0, 1), List.of("layers")));
        assertEquals(full.hashCode(), base.withExclude("o_proj").withLayers(List.of(0, 1), List.of("layers"))
                .hashCode());
        assertNotEquals(base, full);
        assertNotEquals(full, base.withExclude("re:o_proj").withLayers(List.of(0, 1), List.of("layers")));
        assertNotEquals(full, base.withExclude("o_proj").withLayers(List.of(0), List.of("layers")));
        assertNotEquals(full, base.withExclude("o_proj").withLayers(List.of(0, 1), List.of()));
        assertEquals("q_proj,v_proj --exclude o_proj --layers 0,1 --layers-pattern layers", full.toString());
    }

    @Test
    void layerRulesAreCheckedLikePeftsLoraConfig() {
        IllegalArgumentException regex = assertThrows(IllegalArgumentException.class,
                () -> TargetMatcher.parse("re:.*q_proj").withLayers(List.of(0), List.of()));
        assertTrue(regex.getMessage().contains("layers_to_transform"), regex.getMessage());
        IllegalArgumentException patternOnly = assertThrows(IllegalArgumentException.class,
                () -> TargetMatcher.parse("q_proj").withLayers(List.of(), List.of("layers")));
        assertTrue(patternOnly.getMessage().contains("needs layers_to_transform"), patternOnly.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> TargetMatcher.parse("q_proj").withLayers(List.of(-1), List.of()));
        assertTrue(negative.getMessage().contains("layers_to_transform"), negative.getMessage());
        IllegalArgumentException badExclude = assertThrows(IllegalArgumentException.class,
                () -> TargetMatcher.parse("q_proj").withExclude("re:(o"));
        assertTrue(badExclude.getMessage().contains("exclude modules: bad regex '(o'"), badExclude.getMessage());
    }

    @Test
    void listRuleNeedsADotBeforeTheSuffix() {
        TargetMatcher m = TargetMatcher.names("q_proj", "0.self_attn.k_proj");
        assertTrue(m.matches("model.layers.0.self_attn.q_proj"));
        assertTrue(m.matches("q_proj"));
        assertFalse(m.matches("model.layers.0.self_attn.xq_proj"));
        assertFalse(m.matches("q_proj.lora_A"));
        assertTrue(m.matches("model.layers.0.self_attn.k_proj"));
        assertFalse(m.matches("model.layers.10.self_attn.k_proj"), "'10.self_attn' does not end with '.0.self_attn'");
    }

    @Test
    void aStringIsAFullMatchRegex() {
        assertFalse(TargetMatcher.regex("q_proj").matches("model.layers.0.self_attn.q_proj"));
        assertTrue(TargetMatcher.regex(".*q_proj").matches("model.layers.0.self_attn.q_proj"));
        assertFalse(TargetMatcher.regex("layers").matches("model.layers.0"), "search is not enough");
    }

    @Test
    void parsesCommandLineValues() {
        TargetMatcher list = TargetMatcher.parse("q_proj, v_proj");
        assertFalse(list.isRegex());
        assertEquals(List.of("q_proj", "v_proj"), list.peftValue());
        assertEquals("q_proj,v_proj", list.toString());
        assertTrue(list.matches("a.v_proj"));

        TargetMatcher regex = TargetMatcher.parse("re:.*\\.(q|v)_proj");
        assertTrue(regex.isRegex());
        assertEquals(".*\\.(q|v)_proj", regex.peftValue());
        assertTrue(regex.matches("model.layers.3.self_attn.v_proj"));
        assertFalse(regex.matches("model.layers.3.self_attn.k_proj"));
        assertEquals(regex, TargetMatcher.parse(regex.toString()));
        assertEquals("re:.*\\.(q|v)_proj", regex.toString());
    }

    @Test
    void badValuesAreClearErrors() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TargetMatcher.parse(""))
                .getMessage().contains("target modules"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TargetMatcher.parse("q_proj,,v_proj"))
                .getMessage().contains("empty name"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TargetMatcher.parse("re:(q"));
        assertTrue(e.getMessage().contains("bad regex '(q'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TargetMatcher.names(List.of()));
    }

    /**
     * PEFT's all-linear: read from a file or the command line in any case, written back as the shorthand, selecting
     * nothing until resolved against the model's linear modules, then a list of full names that exclude_modules still
     * filters; like any string target it takes no layers_to_transform (PEFT's LoraConfig refuses it).
     */
    @Test
    void allLinearIsResolvedAgainstTheModelsLinearModules() throws Exception {
        ObjectNode json = new ObjectMapper().createObjectNode().put("peft_type", "LORA").put("r", 8)
                .put("target_modules", "ALL-LINEAR");
        json.putArray("exclude_modules").add("k_proj");
        TargetMatcher fromFile = PeftConfig.parse(json.toString()).targetModules();
        assertTrue(fromFile.isAllLinear());
        assertEquals(TargetMatcher.parse("all-linear").withExcludeNames(List.of("k_proj")), fromFile);
        assertEquals("all-linear", TargetMatcher.parse(" All-Linear ").peftValue());
        assertThrows(IllegalStateException.class, () -> fromFile.matches("model.layers.0.self_attn.q_proj"));

        List<String> linear = List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj",
                "model.layers.1.self_attn.k_proj", "model.layers.1.mlp.down_proj");
        TargetMatcher resolved = fromFile.resolveAllLinear(linear);
        assertFalse(resolved.isAllLinear());
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"),
                resolved.select(List.of("model.embed_tokens", "model.layers.0.self_attn.q_proj",
                        "model.layers.0.self_attn.k_proj", "model.layers.1.self_attn.k_proj",
                        "model.layers.1.mlp.down_proj", "lm_head"), "test"));
        TargetMatcher list = TargetMatcher.names("q_proj");
        assertEquals(list, list.resolveAllLinear(linear), "only the shorthand is resolved");
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                () -> TargetMatcher.allLinear().withLayers(List.of(0), List.of()));
        assertTrue(layers.getMessage().contains("cannot be used when target_modules is all-linear"), layers.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TargetMatcher.allLinear().resolveAllLinear(List.of()));
    }
}
