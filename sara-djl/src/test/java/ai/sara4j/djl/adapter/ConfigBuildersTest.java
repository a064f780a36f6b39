package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.edora.EdoraConfig;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.adapter.sora.SoraConfig;
import ai.sara4j.djl.adapter.sora.XiSchedule;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The config builders: the defaults they state, the values they set, and the values they refuse, by name. */
class ConfigBuildersTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");

    private static void refuses(String message, Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void buildersStateThePapersDefaults() {
        LoraConfig lora = LoraConfig.builder(QV).build();
        assertEquals(8, lora.r());
        assertEquals(8.0, lora.alpha());
        assertEquals(0.0, lora.dropout());
        assertEquals(42, lora.seed());
        assertEquals(16.0, LoraConfig.builder(QV).r(16).build().alpha(), "alpha defaults to r");
        SaraConfig sara = SaraConfig.builder(QV).build();
        assertEquals(0.01, sara.threshold());
        assertEquals(0.05, sara.dropout());
        assertEquals(SaraConfig.Init.RANDOM, sara.init());
        MoSaraConfig mo = MoSaraConfig.builder(QV).build();
        assertEquals(0.5, mo.threshold());
        assertEquals(5, mo.heads());
        assertEquals(0.05, mo.dropout());
        SoraConfig sora = SoraConfig.builder(QV).build();
        assertEquals(8, sora.r());
        assertEquals(16.0, sora.alpha());
        assertEquals(XiSchedule.constant(0.375), sora.xi());
        EdoraConfig edora = EdoraConfig.builder(QV).build();
        assertEquals(8, edora.r());
        assertEquals(16.0, edora.alpha());
        assertEquals(1e-5, edora.initSigma());
    }

    @Test
    void buildersWithersAndOptionsAgree() {
        LoraConfig lora = LoraConfig.builder(QV).r(16).alpha(32).dropout(0.05).seed(7).build();
        assertEquals(LoraConfig.of(QV, 16, 32).withDropout(0.05).withSeed(7), lora);
        assertEquals(2.0, lora.scalingFor("model.layers.0.self_attn.q_proj"));
        assertEquals(lora, AdapterMethods.byName("lora").configure(
                AdapterOptions.builder(QV).r(16).alpha(32).dropout(0.05).seed(7).build()));
        assertEquals(lora, lora.toBuilder().build());
        SaraConfig sara = SaraConfig.builder(QV).threshold(0.02).init(SaraConfig.Init.ZERO).dropout(0).build();
        assertEquals(SaraConfig.of(QV).withThreshold(0.02).withInit(SaraConfig.Init.ZERO).withDropout(0), sara);
        MoSaraConfig mo = MoSaraConfig.builder(QV).heads(3).rankPattern(Map.of("q_proj", 4)).build();
        assertEquals(MoSaraConfig.of(QV).withHeads(3).withRankPattern(Map.of("q_proj", 4)), mo);
        assertEquals(SoraConfig.of(QV).withRank(4, 8), SoraConfig.builder(QV).r(4).alpha(8).build());
        assertEquals(EdoraConfig.of(QV).withRank(4, 8).withSeed(3),
                EdoraConfig.builder(QV).r(4).alpha(8).seed(3).build());
    }

    @Test
    void outOfRangeValuesAreRefusedNamingTheOption() {
        refuses("LoRA r must be >= 1, got 0", () -> LoraConfig.builder(QV).r(0).build());
        refuses("LoRA alpha must be a finite number > 0, got NaN", () -> LoraConfig.builder(QV).alpha(Double.NaN).build());
        refuses("LoRA dropout must be in [0, 1), got NaN", () -> LoraConfig.of(QV, 4, 8).withDropout(Double.NaN));
        refuses("LoRA rank_pattern[v_proj] must be >= 1, got 0",
                () -> LoraConfig.builder(QV).rankPattern(Map.of("v_proj", 0)).build());
        refuses("LoRA alpha_pattern[v_proj] must be a finite number > 0",
                () -> LoraConfig.builder(QV).alphaPattern(Map.of("v_proj", Double.POSITIVE_INFINITY)).build());
        refuses("SARA threshold must be in (0, 1], got 0.0", () -> SaraConfig.builder(QV).threshold(0).build());
        refuses("SARA dropout must be in [0, 1), got -0.1", () -> SaraConfig.of(QV).withDropout(-0.1));
        refuses("Mo-SARA heads must be >= 1, got 0", () -> MoSaraConfig.builder(QV).heads(0).build());
        refuses("Mo-SARA threshold must be in (0, 1], got NaN", () -> MoSaraConfig.of(QV).withThreshold(Double.NaN));
        refuses("SoRA alpha must be a finite number > 0, got -1.0", () -> SoraConfig.of(QV).withRank(4, -1));
        refuses("SoRA xi and xi_max must be finite numbers >= 0", () -> XiSchedule.constant(Double.POSITIVE_INFINITY));
        refuses("EDoRA init_sigma must be a finite number >= 0, got -1.0", () -> EdoraConfig.of(QV).withInitSigma(-1));
        refuses("EDoRA dropout must be in [0, 1), got 1.0", () -> EdoraConfig.builder(QV).dropout(1).build());
    }

    @Test
    void adapterOptionsCheckValuesWhenSet() {
        AdapterOptions options = AdapterOptions.builder(QV).r(16).alpha(32).dropout(0.05).seed(7).build();
        assertEquals(16, options.r().orElseThrow());
        assertEquals(32.0, options.alpha().orElseThrow());
        assertEquals(0.05, options.dropout().orElseThrow());
        assertEquals(7, options.seed());
        assertTrue(options.threshold().isEmpty() && options.heads().isEmpty() && options.init().isEmpty());
        assertEquals(options, options.toBuilder().build());
        refuses("adapter option dropout must be in [0, 1), got NaN",
                () -> AdapterOptions.builder(QV).dropout(Double.NaN));
        refuses("adapter option r must be >= 1, got -2", () -> AdapterOptions.builder(QV).r(-2));
        refuses("adapter option alpha must be a finite number > 0, got 0.0", () -> AdapterOptions.builder(QV).alpha(0));
        refuses("adapter option threshold must be in (0, 1], got 2.0", () -> AdapterOptions.builder(QV).threshold(2));
        refuses("adapter option heads must be >= 1, got 0", () -> AdapterOptions.builder(QV).heads(0));
        refuses("adapter option ranks[q_proj] must be >= 1, got 0",
                () -> AdapterOptions.builder(QV).ranks(Map.of("q_proj", 0)));
    }

    /** Issue 12: a config file with lora_dropout NaN is refused when read, as it is when built. */
    @Test
    void readingAFileWithANanDropoutFails() throws java.io.IOException {
        PeftConfig file = PeftConfig.parse(LoraConfig.of(QV, 4, 8).toPeft(Map.of()).toJson()
                .replace("\"lora_dropout\" : 0.0", "\"lora_dropout\" : \"NaN\""));
        refuses("LoRA dropout must be in [0, 1), got NaN", () -> AdapterMethods.forConfig(file, "x").readConfig(file));
    }
}
