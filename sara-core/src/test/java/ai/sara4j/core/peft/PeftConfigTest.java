package ai.sara4j.core.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.target.TargetMatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    void excludeAndLayerFieldsRoundTrip() throws IOException {
        PeftConfig peft = PeftConfig.parse("""
                {"peft_type": "LORA", "target_modules": ["q_proj", "v_proj"], "exclude_modules": "lm_head",
                 "layers_to_transform": 1, "layers_pattern": "layers"}
                """);
        TargetMatcher read = peft.targetModules();
        assertEquals(TargetMatcher.names("q_proj", "v_proj").withExcludeRegex("lm_head")
                .withLayers(List.of(1), List.of("layers")), read);
        assertTrue(read.matches("model.layers.1.self_attn.q_proj"));
        assertFalse(read.matches("model.layers.0.self_attn.q_proj"));

        TargetMatcher full = TargetMatcher.names("q_proj", "v_proj").withExcludeNames(List.of("layers.0.self_attn.v_proj"))
                .withLayers(List.of(0, 2), List.of("layers", "h"));
        String json = PeftConfig.create("LORA").targetModules(full).toJson();
        assertTrue(json.contains("\"exclude_modules\" : [ \"layers.0.self_attn.v_proj\" ]"), json);
        assertTrue(json.contains("\"layers_to_transform\" : [ 0, 2 ]"), json);
        assertTrue(json.contains("\"layers_pattern\" : [ \"layers\", \"h\" ]"), json);
        assertEquals(full, PeftConfig.parse(json).targetModules());

        // without the rules no new key appears; a file that had them gets PEFT's null
        String plain = PeftConfig.create("LORA").targetModules(TargetMatcher.names("q_proj")).toJson();
        assertFalse(plain.contains("exclude_modules") || plain.contains("layers_"), plain);
        String cleared = PeftConfig.parse(json).targetModules(TargetMatcher.names("q_proj")).toJson();
        assertTrue(cleared.contains("\"layers_to_transform\" : null"), cleared);
        assertEquals(TargetMatcher.names("q_proj"), PeftConfig.parse(cleared).targetModules());

        // PEFT's empty forms: [] adapts every layer, "" is the default pattern
        assertEquals(TargetMatcher.names("q_proj").withLayers(List.of(0), List.of()), PeftConfig.parse("""
                {"target_modules": ["q_proj"], "layers_to_transform": [0], "layers_pattern": ""}""").targetModules());
        assertEquals(TargetMatcher.names("q_proj"), PeftConfig.parse("""
                {"target_modules": ["q_proj"], "layers_to_transform": [], "exclude_modules": null}""")
                .targetModules());
    }

    @Test
    void badLayerFieldsNameTheField() throws IOException {
        IllegalArgumentException notInt = assertThrows(IllegalArgumentException.class, () -> PeftConfig.parse("""
                {"target_modules": ["q_proj"], "layers_to_transform": ["0"]}""").targetModules());
        assertTrue(notInt.getMessage().startsWith(PeftConfig.FILE_NAME + ": layers_to_transform: \"0\" is not a layer"
                + " index"), notInt.getMessage());
        IllegalArgumentException patternOnly = assertThrows(IllegalArgumentException.class, () -> PeftConfig.parse("""
                {"target_modules": ["q_proj"], "layers_pattern": "layers"}""").targetModules());
        assertTrue(patternOnly.getMessage().startsWith(PeftConfig.FILE_NAME + ": layers_pattern"),
                patternOnly.getMessage());
        IllegalArgumentException badExclude = assertThrows(IllegalArgumentException.class, () -> PeftConfig.parse("""
                {"target_modules": ["q_proj"], "exclude_modules": [3]}""").targetModules());
        assertEquals(PeftConfig.FILE_NAME + ": exclude_modules [3]: exclude_modules: 3 is not a string",
                badExclude.getMessage());
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
