package ai.sara4j.core.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.target.TargetMatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftConfigTest {
    private static final String PEFT_JSON = """
            {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "use_rslora": true, "lora_dropout": 0.05,
             "target_modules": ["q_proj", "v_proj"],
             "rank_pattern": {"model.layers.0.self_attn.q_proj": 2, "v_proj": 6, "layers\\\\.1\\\\..*q_proj": 3},
             "alpha_pattern": {"q_proj": 3},
             "megatron_core": "megatron.core", "loftq_config": {}}
            """;

    /** PEFT's get_pattern_key: re.match(rf"(.*\\.)?({key})$", module), first key in file order. */
    @Test
    void patternsFollowPeftsKeyRule() throws IOException {
        PeftConfig c = PeftConfig.parse(PEFT_JSON);
        assertEquals(2, c.rankFor("model.layers.0.self_attn.q_proj"));
        assertEquals(6, c.rankFor("model.layers.0.self_attn.v_proj"));
        assertEquals(3, c.rankFor("model.layers.1.self_attn.q_proj")); // regex key
        assertEquals(4, c.rankFor("model.layers.2.self_attn.q_proj")); // default r
        assertEquals(4, c.rankFor("model.layers.0.self_attn.xv_proj")); // "v_proj" must follow a dot
        assertEquals(3.0, c.alphaFor("model.layers.0.self_attn.q_proj"));
        assertEquals(8.0, c.alphaFor("model.layers.0.self_attn.v_proj"));
        assertTrue(c.useRslora());
        assertEquals(0.05, c.loraDropout());
        assertEquals(TargetMatcher.names("q_proj", "v_proj"), c.targetModules());
    }

    @Test
    void roundTripKeepsUnknownFieldsAndTheExtension(@TempDir Path tmp) throws IOException {
        PeftConfig c = PeftConfig.parse(PEFT_JSON);
        c.extensionOrCreate().put("method", "sara");
        c.rankPattern(Map.of("model.layers.0.self_attn.q_proj", 5));
        c.write(tmp);
        PeftConfig back = PeftConfig.read(tmp);
        assertEquals(5, back.rankFor("model.layers.0.self_attn.q_proj"));
        assertEquals("sara", back.extension().orElseThrow().path("method").asText());
        String json = Files.readString(tmp.resolve(PeftConfig.FILE_NAME));
        assertTrue(json.contains("megatron_core") && json.contains("loftq_config"), json);
        assertFalse(PeftConfig.parse(PEFT_JSON).extension().isPresent());
    }

    @Test
    void regexTargetsRoundTripAsAString() throws IOException {
        PeftConfig c = PeftConfig.create("LORA").targetModules(TargetMatcher.regex(".*\\.(q|v)_proj"));
        assertTrue(c.toJson().contains("\"target_modules\" : \".*\\\\.(q|v)_proj\""), c.toJson());
        assertTrue(PeftConfig.parse(c.toJson()).targetModules().matches("model.layers.0.self_attn.v_proj"));
    }

    @Test
    void badConfigsNameTheFileOrField(@TempDir Path tmp) throws IOException {
        IOException missing = assertThrows(IOException.class, () -> PeftConfig.read(tmp));
        assertTrue(missing.getMessage().contains(PeftConfig.FILE_NAME), missing.getMessage());
        Files.writeString(tmp.resolve(PeftConfig.FILE_NAME), "{not json");
        IOException bad = assertThrows(IOException.class, () -> PeftConfig.read(tmp));
        assertTrue(bad.getMessage().contains("not valid JSON"), bad.getMessage());
        IllegalArgumentException noTargets = assertThrows(IllegalArgumentException.class,
                () -> PeftConfig.parse("{\"peft_type\": \"LORA\"}").targetModules());
        assertTrue(noTargets.getMessage().contains("target_modules"), noTargets.getMessage());
    }
}
