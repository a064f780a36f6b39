package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link AdapterMethod#configure}: the papers' defaults, the user's values, and options a method refuses. */
class ConfigureTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");

    private static AdapterOptions options(Optional<Integer> r, Optional<Double> alpha, Optional<Double> threshold,
            Optional<Integer> heads, Map<String, String> extra) {
        return new AdapterOptions(QV, r, alpha, threshold, Map.of(), heads, Optional.empty(), Optional.empty(), 5,
                extra);
    }

    @Test
    void defaultsAreThePapers() {
        LoraConfig lora = (LoraConfig) AdapterMethods.byName("lora").configure(AdapterOptions.defaults(QV, 5));
        assertEquals(10, lora.r()); // SARA paper Table 5: LoRA r 10, scaling 2
        assertEquals(20.0, lora.alpha());
        assertEquals(0.05, lora.dropout());
        assertEquals(5, lora.seed());
        SaraConfig sara = (SaraConfig) AdapterMethods.byName("sara").configure(AdapterOptions.defaults(QV, 5));
        assertEquals(0.01, sara.threshold());
        assertEquals(SaraConfig.Init.KAIMING, sara.init());
        assertEquals(0.05, sara.dropout());
        MoSaraConfig mo = (MoSaraConfig) AdapterMethods.byName("mosara").configure(AdapterOptions.defaults(QV, 5));
        assertEquals(0.5, mo.threshold());
        assertEquals(5, mo.heads());
    }

    @Test
    void userValuesWin() {
        LoraConfig lora = (LoraConfig) AdapterMethods.byName("lora").configure(options(Optional.of(16),
                Optional.empty(), Optional.empty(), Optional.empty(), Map.of("use_rslora", "true")));
        assertEquals(16, lora.r());
        assertEquals(32.0, lora.alpha()); // alpha follows r: 2r
        assertTrue(lora.useRslora());
        AdapterOptions ranked = new AdapterOptions(QV, Optional.empty(), Optional.empty(), Optional.empty(),
                Map.of("model.layers.0.self_attn.q_proj", 3), Optional.empty(), Optional.of(0.0), Optional.of("zero"),
                1, Map.of());
        SaraConfig sara = (SaraConfig) AdapterMethods.byName("sara").configure(ranked);
        assertEquals(Map.of("model.layers.0.self_attn.q_proj", 3), sara.rankPattern());
        assertEquals(SaraConfig.Init.ZERO, sara.init());
        assertEquals(0.0, sara.dropout());
    }

    @Test
    void optionsAMethodDoesNotTakeAreErrorsNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdapterMethods.byName("lora")
                .configure(options(Optional.empty(), Optional.empty(), Optional.of(0.1), Optional.empty(), Map.of())));
        assertTrue(e.getMessage().contains("lora does not take threshold"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AdapterMethods.byName("sara")
                .configure(options(Optional.of(8), Optional.empty(), Optional.empty(), Optional.of(3), Map.of())));
        assertTrue(e.getMessage().contains("r, heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AdapterMethods.byName("mosara")
                .configure(options(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                        Map.of("sparsity", "1"))));
        assertTrue(e.getMessage().contains("option sparsity"), e.getMessage());
    }
}
