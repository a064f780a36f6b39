package ai.sara4j.djl.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterMethods;
import ai.sara4j.djl.adapter.edora.EdoraConfig;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.adapter.sora.SoraConfig;
import ai.sara4j.djl.train.TrainingOptions;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The presets hold the numbers their sources print. The expected values are typed here from the SARA paper's
 * appendix (Tables 5, 6 and 7) and from the SoRA and EDoRA code, not read from the data file, and each recipe must
 * hold exactly these values: a mistyped, missing or invented value fails.
 */
class RecipesTest {
    private static final TargetMatcher QV = TargetMatcher.names("q_proj", "v_proj");
    private final Map<String, Map<String, Number>> expected = new LinkedHashMap<>();

    private void expect(String name, Object... keyValues) {
        Map<String, Number> values = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], (Number) keyValues[i + 1]);
        }
        expected.put(name, values);
    }

    RecipesTest() {
        // Table 5 (maths): dropout 0.05, batch 16, warm-up 100, 3 epochs, seed 42 for every model and method
        for (String model : List.of("llama7b", "llama13b", "gptj")) {
            expect("lora-math-" + model, "r", 10L, "alpha", 20.0, "dropout", 0.05,
                    "learningRate", 3e-4, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L, "seed", 42L);
            expect("mosara-math-" + model, "threshold", 0.5, "heads", 5L, "dropout", 0.05,
                    "learningRate", 3e-2, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L, "seed", 42L);
        }
        expect("sara-math-llama7b", "threshold", 0.01, "dropout", 0.05,
                "learningRate", 3e-3, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L, "seed", 42L);
        expect("sara-math-llama13b", "threshold", 0.009, "dropout", 0.05,
                "learningRate", 1e-2, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L, "seed", 42L);
        expect("sara-math-gptj", "threshold", 0.009, "dropout", 0.05,
                "learningRate", 3e-3, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L, "seed", 42L);
        // Table 6 (commonsense): no seed row
        expect("sara-commonsense-llama7b", "threshold", 0.09, "dropout", 0.05,
                "learningRate", 1e-3, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L);
        expect("mosara-commonsense-llama7b", "threshold", 0.8, "heads", 5L, "dropout", 0.05,
                "learningRate", 3e-2, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L);
        expect("sara-commonsense-llama13b", "threshold", 0.075, "dropout", 0.05,
                "learningRate", 1e-3, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L);
        expect("mosara-commonsense-llama13b", "threshold", 0.5, "heads", 5L, "dropout", 0.05,
                "learningRate", 3e-2, "epochs", 3L, "batchSize", 16L, "warmupSteps", 100L);
        // Table 7 (E2E, GPT-2 Medium): no dropout row
        expect("sara-e2e", "threshold", 0.012, "learningRate", 8e-3, "epochs", 5L, "batchSize", 16L,
                "warmupSteps", 500L, "weightDecay", 0.01, "labelSmoothing", 0.1, "seed", 314L);
        expect("mosara-e2e", "threshold", 0.5, "heads", 3L, "learningRate", 7e-2, "epochs", 5L, "batchSize", 16L,
                "warmupSteps", 500L, "weightDecay", 0.01, "labelSmoothing", 0.1, "seed", 314L);
        // SoRA code: run_glue_sora_no_schedule.sh (lr 8e-4, 20 epochs, batch 8, wd 0.1, clip 0.1, r 8), lora.py
        expect("sora-glue", "r", 8L, "alpha", 16.0, "dropout", 0.0, "learningRate", 8e-4, "epochs", 20L,
                "batchSize", 8L, "weightDecay", 0.1, "maxGradNorm", 0.1);
        // EDoRA code: run_glue.py (alpha 16, 50 epochs, batch 32), main_glue.py (dropout 0, AdamW default wd)
        expect("edora-glue", "alpha", 16.0, "dropout", 0.0, "epochs", 50L, "batchSize", 32L, "weightDecay", 0.01);
    }

    @Test
    void everyRecipeHoldsExactlyItsSourcesValues() {
        assertEquals(new ArrayList<>(expected.keySet()).stream().sorted().toList(),
                Recipes.names().stream().sorted().toList());
        for (Recipe recipe : Recipes.all()) {
            Map<String, Number> values = new LinkedHashMap<>(recipe.adapterValues());
            values.putAll(recipe.trainingValues());
            assertEquals(expected.get(recipe.name()), values, recipe.name());
        }
    }

    @Test
    void methodsSourcesAndTargetsAreThePapers() {
        for (Recipe recipe : Recipes.all()) {
            String name = recipe.name();
            assertEquals(name.substring(0, name.indexOf('-')), recipe.method(), name);
            String table = name.contains("-math-") ? "Table 5" : name.contains("-commonsense-") ? "Table 6"
                    : name.endsWith("-e2e") ? "Table 7" : null;
            if (table != null) {
                assertEquals("SARA paper (Gu et al. 2024), " + table, recipe.source(), name);
                assertEquals(List.of("q_proj", "v_proj"), recipe.targets(), name + ": Appendix A, Q and V");
            } else {
                assertTrue(recipe.source().contains(name.startsWith("sora") ? "TsinghuaC3I/SoRA"
                        : "Hamid-Nasiri/EDoRA"), recipe.source());
                assertTrue(recipe.targets().isEmpty(), name + ": an encoder's targets");
            }
            assertFalse(recipe.notes().isEmpty(), name + " says what its source leaves open");
        }
        assertEquals("GPT-2 Medium", Recipes.named("sara-e2e").model());
        assertEquals("LLaMA-13B", Recipes.named("mosara-commonsense-llama13b").model());
        assertEquals("GPT-J-6B", Recipes.named("lora-math-gptj").model());
        assertEquals(Map.of("xi", "0.375"), Recipes.named("sora-glue").methodOptions());
        assertEquals(Map.of("init_sigma", "1e-5"), Recipes.named("edora-glue").methodOptions());
    }

    @Test
    void trainingOptionsAreTheRecipesWithDefaultsForWhatItLeavesOpenAndTakeOverrides() {
        Recipe recipe = Recipes.named("sara-e2e");
        TrainingOptions options = recipe.trainingOptions().build();
        assertEquals(8e-3, options.learningRate());
        assertEquals(5, options.epochs());
        assertEquals(16, options.batchSize());
        assertEquals(500, options.warmupSteps());
        assertEquals(0.01, options.weightDecay());
        assertEquals(0.1, options.labelSmoothing());
        assertEquals(314, options.seed());
        assertEquals(1.0, options.maxGradNorm()); // Table 7 has no clipping: the default
        assertEquals(Map.of("maxGradNorm", 1.0), recipe.trainingDefaults());

        TrainingOptions changed = recipe.trainingOptions().learningRate(1e-3).maxSteps(7).build();
        assertEquals(1e-3, changed.learningRate());
        assertEquals(7, changed.maxSteps());
        assertEquals(0.1, changed.labelSmoothing());
        assertEquals(314, changed.seed());

        Map<String, Number> commonsenseDefaults = Recipes.named("sara-commonsense-llama7b").trainingDefaults();
        assertEquals(List.of("weightDecay", "labelSmoothing", "maxGradNorm", "seed"),
                List.copyOf(commonsenseDefaults.keySet()));
        assertEquals(42L, commonsenseDefaults.get("seed"));
    }

    @Test
    void adapterConfigsAreTheRecipesWithTheMethodsDefaultsForTheRest() {
        SaraConfig sara = (SaraConfig) Recipes.named("sara-e2e").adapterConfig(QV);
        assertEquals(0.012, sara.threshold());
        assertEquals(0.05, sara.dropout()); // Table 7 has no dropout: SARA's default
        assertEquals(314, sara.seed());
        assertEquals(QV, sara.targets());

        // the override goes on the builder; the method's configure applies its defaults to the rest
        MoSaraConfig mosara = (MoSaraConfig) AdapterMethods.byName("mosara")
                .configure(Recipes.named("mosara-e2e").adapterOptions().dropout(0.1).build());
        assertEquals(0.5, mosara.threshold());
        assertEquals(3, mosara.heads());
        assertEquals(0.1, mosara.dropout()); // the override

        LoraConfig lora = (LoraConfig) Recipes.named("lora-math-llama7b").adapterConfig(QV);
        assertEquals(10, lora.r());
        assertEquals(2.0, lora.alpha() / lora.r()); // Table 5's λ
        assertEquals(0.05, lora.dropout());

        SoraConfig sora = (SoraConfig) Recipes.named("sora-glue").adapterConfig(QV);
        assertEquals(0.375, sora.xi().start());
        assertEquals(8, sora.r());
        EdoraConfig edora = (EdoraConfig) Recipes.named("edora-glue").adapterConfig(QV);
        assertEquals(1e-5, edora.initSigma());
        assertEquals(16.0, edora.alpha());
        assertThrows(IllegalStateException.class, () -> Recipes.named("edora-glue").adapterOptions());
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Recipes.named("sara-e2"));
        assertTrue(e.getMessage().startsWith("unknown recipe 'sara-e2' (known: sara-math-llama7b, "), e.getMessage());
        assertTrue(e.getMessage().contains("sara-e2e, mosara-e2e"), e.getMessage());
        assertTrue(Recipes.find("nope").isEmpty());
    }

    @Test
    void aBrokenDataFileIsRefusedNamingTheRecipeAndField() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String ok = "\"name\": \"x\", \"method\": \"sara\", \"task\": \"t\", \"model\": \"m\", \"source\": \"s\"";
        List<String[]> cases = List.of(
                new String[] {"{" + ok + ", \"training\": {\"learningrate\": 1e-3}}", "recipe x: unknown training value 'learningrate'"},
                new String[] {"{" + ok + ", \"adapter\": {\"learningRate\": 1e-3}}", "recipe x: unknown adapter value 'learningRate'"},
                new String[] {"{" + ok + ", \"training\": {\"epochs\": 2.5}}", "recipe x: epochs must be a whole number"},
                new String[] {"{" + ok + ", \"adapter\": {\"threshold\": 1.5}}", "recipe x: "},
                new String[] {"{" + ok + ", \"adapter\": {\"heads\": 3}}", "recipe x: option 'heads' does not apply to method sara"},
                new String[] {"{" + ok + ", \"lr\": 1}", "recipe x: unknown field 'lr'"},
                new String[] {"{\"name\": \"x\", \"method\": \"sara\"}", "recipe x: no task"});
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Recipes.parse(json.readTree("{\"recipes\": [" + c[0] + "]}")), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
        }
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> Recipes.parse(json.readTree("{\"recipes\": [{" + ok + "}, {" + ok + "}]}")));
        assertEquals("two recipes named x", twice.getMessage());
    }
}
