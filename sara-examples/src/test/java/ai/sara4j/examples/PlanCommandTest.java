package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.testing.RankFixture;
import ai.sara4j.core.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code ./sara plan} on the real tinystories-656k checkpoint against the committed float64 SVD reference. */
class PlanCommandTest {
    private static final String ALL_TARGETS = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";

    @ParameterizedTest
    @ValueSource(doubles = {0.01, 0.1, 0.5})
    void saraRanksEqualFloat64Svd(double threshold) throws Exception {
        Path model = SharedData.tinyStories();
        CliRunner.Result r = CliRunner.run("plan", "--model", model.toString(), "--method", "sara",
                "--threshold", Double.toString(threshold), "--targets", ALL_TARGETS, "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals("sara", plan.get("method").asText());
        assertEquals(threshold, plan.get("threshold").asDouble());

        RankFixture fixture = RankFixture.load();
        Map<String, JsonNode> byName = new HashMap<>();
        plan.get("modules").forEach(m -> byName.put(m.get("name").asText(), m));
        assertEquals(fixture.modules().size(), byName.size());
        long total = 0;
        for (RankFixture.Module expected : fixture.modules()) {
            JsonNode m = byName.get(expected.name());
            assertEquals(expected.ranks().get(threshold).intValue(), m.get("k").asInt(), expected.name());
            assertEquals(expected.out(), m.get("shape").get(0).asLong());
            assertEquals(expected.in(), m.get("shape").get(1).asLong());
            long k = m.get("k").asLong();
            assertEquals(k * (expected.out() + expected.in() + 1), m.get("trainable").asLong());
            total += m.get("trainable").asLong();
        }
        assertEquals(total, plan.get("trainable").asLong());
    }

    /** --exclude and --layers pick the modules PEFT would: here layer 1's attention projections but k_proj. */
    @Test
    void excludeAndLayersPickThePlannedModules() throws Exception {
        CliRunner.Result r = CliRunner.run("plan", "--model", SharedData.tinyStories().toString(), "--method", "lora",
                "--targets", ALL_TARGETS, "--exclude", "k_proj", "--layers", "1-1", "--layers-pattern", "layers",
                "--json");
        assertEquals(0, r.exitCode(), r.err());
        java.util.List<String> names = new java.util.ArrayList<>();
        new ObjectMapper().readTree(r.out()).get("modules").forEach(m -> names.add(m.get("name").asText()));
        assertEquals(java.util.List.of("model.layers.1.mlp.down_proj", "model.layers.1.mlp.gate_proj",
                "model.layers.1.mlp.up_proj", "model.layers.1.self_attn.o_proj", "model.layers.1.self_attn.q_proj",
                "model.layers.1.self_attn.v_proj"), names.stream().sorted().toList());

        CliRunner.Result regex = CliRunner.run("plan", "--model", SharedData.tinyStories().toString(),
                "--targets", "re:.*q_proj", "--layers", "0");
        assertEquals(1, regex.exitCode());
        assertTrue(regex.err().contains("--layers/--layers-pattern: layers_to_transform [0] cannot be used when"
                + " target_modules is a regex"), regex.err());
        CliRunner.Result none = CliRunner.run("plan", "--model", SharedData.tinyStories().toString(),
                "--layers", "7");
        assertEquals(1, none.exitCode());
        assertTrue(none.err().contains("target_modules q_proj,v_proj (layers_to_transform [7]) match no module"),
                none.err());
    }

    @Test
    void loraPlanAndChart(@TempDir Path tmp) throws Exception {
        Path model = SharedData.tinyStories();
        Path svg = tmp.resolve("ranks.svg");
        CliRunner.Result r = CliRunner.run("plan", "--model", model.toString(), "--method", "lora", "--r", "4",
                "--targets", "q_proj,v_proj", "--chart", svg.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("model.layers.1.self_attn.v_proj"), r.out());
        assertTrue(Files.readString(svg).contains("<svg"));

        Path png = tmp.resolve("ranks.png");
        assertEquals(0, CliRunner.run("plan", "--model", model.toString(), "--threshold", "0.1",
                "--chart", png.toString()).exitCode());
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(900, image.getWidth());
        assertEquals(520, image.getHeight());
        assertTrue(Files.list(tmp).allMatch(p -> p.getFileName().toString().startsWith("ranks.")),
                "no temporary files left");
    }

    /**
     * Several thresholds print an array of the plans each threshold gives alone, in the order listed; k grows with
     * the threshold for every module; the chart is a grid of PNG panels, one per target kind.
     */
    @Test
    void thresholdListEqualsSinglePlansAndRanksGrow(@TempDir Path tmp) throws Exception {
        Path model = SharedData.tinyStories();
        Path png = tmp.resolve("ranks.png");
        String[] thresholds = {"0.1", "0.3", "0.5", "0.7", "0.9"};
        CliRunner.Result r = CliRunner.run("plan", "--model", model.toString(), "--method", "sara", "--threshold",
                String.join(",", thresholds), "--targets", ALL_TARGETS, "--json", "--chart", png.toString());
        assertEquals(0, r.exitCode(), r.err());
        ObjectMapper json = new ObjectMapper();
        JsonNode plans = json.readTree(r.out());
        assertTrue(plans.isArray(), r.out());
        assertEquals(thresholds.length, plans.size());
        for (int i = 0; i < thresholds.length; i++) {
            CliRunner.Result single = CliRunner.run("plan", "--model", model.toString(), "--method", "sara",
                    "--threshold", thresholds[i], "--targets", ALL_TARGETS, "--json");
            assertEquals(0, single.exitCode(), single.err());
            assertEquals(json.readTree(single.out()), plans.get(i), "threshold " + thresholds[i]);
        }
        int modules = plans.get(0).get("modules").size();
        assertEquals(14, modules);
        for (int m = 0; m < modules; m++) {
            for (int i = 1; i < thresholds.length; i++) {
                JsonNode lower = plans.get(i - 1).get("modules").get(m);
                JsonNode higher = plans.get(i).get("modules").get(m);
                assertEquals(lower.get("name"), higher.get("name"));
                assertTrue(lower.get("k").asInt() <= higher.get("k").asInt(),
                        lower.get("name").asText() + " at " + thresholds[i]);
            }
        }
        assertTrue(plans.get(0).get("trainable").asLong() < plans.get(thresholds.length - 1).get("trainable")
                .asLong(), "the thresholds give different plans");

        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(2 * 900, image.getWidth(), "two panels to a row");
        assertEquals(4 * 520, image.getHeight(), "7 target kinds in 4 rows");

        Path svg = tmp.resolve("ranks.svg");
        CliRunner.Result table = CliRunner.run("plan", "--model", model.toString(), "--threshold", "0.1,0.5",
                "--chart", svg.toString());
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("method sara, threshold 0.1") && table.out().contains(
                "method sara, threshold 0.5"), table.out());
        assertTrue(Files.readString(svg).contains("<svg"));
    }

    /** Each bad entry of a threshold list is refused before any SVD, by name. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"0.1,1.5|got 1.5", "0.1,NaN|got NaN", "0,0.5|got 0.0",
            "0.3,Infinity|got Infinity", "0.3,0.3|lists 0.3 twice"})
    void badThresholdEntryIsRefusedNamingIt(String list, String message) throws Exception {
        CliRunner.Result r = CliRunner.run("plan", "--model", SharedData.tinyStories().toString(),
                "--threshold", list);
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("--threshold") && r.err().contains(message), r.err());
    }

    @Test
    void matchLoraBudgetComesClosestAmongThresholds() throws Exception {
        Path model = SharedData.tinyStories();
        CliRunner.Result lora = CliRunner.run("plan", "--model", model.toString(), "--method", "lora", "--r", "8",
                "--json");
        CliRunner.Result sara = CliRunner.run("plan", "--model", model.toString(), "--method", "sara",
                "--match-lora-r", "8", "--json");
        assertEquals(0, sara.exitCode(), sara.err());
        ObjectMapper json = new ObjectMapper();
        long budget = json.readTree(lora.out()).get("trainable").asLong();
        long matched = json.readTree(sara.out()).get("trainable").asLong();
        // every plan from the fixture's thresholds is at least as far from the budget
        RankFixture fixture = RankFixture.load();
        for (double t : fixture.thresholds()) {
            long count = 0;
            for (RankFixture.Module m : fixture.modules()) {
                if (m.name().endsWith("q_proj") || m.name().endsWith("v_proj")) {
                    count += (long) m.ranks().get(t) * (m.out() + m.in() + 1);
                }
            }
            assertTrue(Math.abs(count - budget) >= Math.abs(matched - budget), "threshold " + t);
        }
    }

    @Test
    void badInputGivesOneLineErrors(@TempDir Path tmp) {
        CliRunner.Result missing = CliRunner.run("plan", "--model", tmp.resolve("nope").toString(),
                "--threshold", "0.1");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("nope") && missing.err().strip().lines().count() == 1, missing.err());

        Path model = SharedData.tinyStories();
        CliRunner.Result threshold = CliRunner.run("plan", "--model", model.toString(), "--threshold", "1.5");
        assertEquals(1, threshold.exitCode());
        assertTrue(threshold.err().contains("1.5"), threshold.err());

        CliRunner.Result noTargets = CliRunner.run("plan", "--model", model.toString(), "--threshold", "0.1",
                "--targets", "nonexistent_proj");
        assertEquals(1, noTargets.exitCode());
        assertTrue(noTargets.err().contains("nonexistent_proj"), noTargets.err());
    }
}
