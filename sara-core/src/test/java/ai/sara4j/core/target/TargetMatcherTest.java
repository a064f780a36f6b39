package ai.sara4j.core.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetMatcherTest {

    /** Every case of the fixture made by tools/fixtures/make_target_fixtures.py with PEFT's own function. */
    @Test
    void agreesWithPeftOnEveryFixtureCase() throws Exception {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/peft-target-cases.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        assertTrue(cases.size() >= 300);
        int matches = 0;
        for (JsonNode c : cases) {
            JsonNode targets = c.get("target_modules");
            TargetMatcher matcher;
            if (targets.isTextual()) {
                matcher = TargetMatcher.regex(targets.asText());
            } else {
                List<String> names = new ArrayList<>();
                targets.forEach(n -> names.add(n.asText()));
                matcher = TargetMatcher.names(names);
            }
            String key = c.get("key").asText();
            boolean expected = c.get("match").asBoolean();
            assertEquals(expected, matcher.matches(key), () -> targets + " vs " + key);
            matches += expected ? 1 : 0;
        }
        assertEquals(40, matches, "the fixture exercises both answers");
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
}
