package ai.sara4j.core.target;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ModulePathTest {
    @Test
    void kindIsTheLastSegmentAndLayerTheFirstNumber() {
        assertEquals("q_proj", ModulePath.kind("model.layers.3.self_attn.q_proj"));
        assertEquals(OptionalInt.of(3), ModulePath.layerIndex("model.layers.3.self_attn.q_proj"));
        assertEquals(OptionalInt.of(11), ModulePath.layerIndex("transformer.h.11.mlp.experts.2.c_fc"));
        assertEquals("lm_head", ModulePath.kind("lm_head"));
        assertEquals(OptionalInt.empty(), ModulePath.layerIndex("lm_head"));
        assertEquals(OptionalInt.empty(), ModulePath.layerIndex("model.layers.x3.q_proj"));
        assertEquals(OptionalInt.empty(), ModulePath.layerIndex("model.layers.99999999999.q_proj"));
    }
}
