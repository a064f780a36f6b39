package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.nn.Parameter;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.data.BatchOrder;
import ai.sara4j.djl.train.data.TokenizedDataset;
import ai.sara4j.djl.train.data.TrainingExample;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SARA4J's {@link Trainer} in lockstep with transformers' {@code Trainer} + PEFT LoRA (the fixture of
 * {@code tools/fixtures/make_lockstep_fixture.py}): the same starting adapter (PEFT's initialisation, r 2 on all
 * seven targets of tinystories-656k), the same 40 E2E examples in the same order (SARA4J's {@link BatchOrder}, which
 * the fixture restates), 50 updates of two right-padded micro-batches of 4 with dropout off, AdamW with weight decay,
 * linear warm-up and decay, and clipping at a norm about half the updates exceed. After every update the loss, the
 * gradient norm before clipping, the learning rate and every adapter tensor (its norm and a fixed projection; whole
 * tensors at ten updates) must agree to float32 precision; a drift fails naming its first update and tensor.
 *
 * <p>Tolerance: float32's own rounding noise, measured by the fixture as the distance of transformers' float32 run
 * from the same run in float64 (per update: about 1e-7 relative on the loss and the gradient norm, 1.5e-6 on the
 * tensors), times {@value #NOISE_FACTOR} (two float32 implementations each carry that noise, with other kernels
 * and summation orders), and never below one float32 ulp ({@value #FLOOR}).
 */
class LockstepTrainingTest {
    private static final double NOISE_FACTOR = 10;
    private static final double FLOOR = 1.2e-7;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void loraTrainsInLockstepWithTransformersTrainerAndPeft() throws Exception {
        Path fixture = Path.of(getClass().getResource("/fixtures/train/lockstep").toURI());
        JsonNode root = JSON.readTree(fixture.resolve("lockstep.json").toFile());
        JsonNode settings = root.get("settings");
        List<TrainingExample> examples = new ArrayList<>();
        for (JsonNode e : root.get("examples")) {
            examples.add(new TrainingExample(longs(e.get("input_ids")), longs(e.get("labels"))));
        }
        int batchSize = settings.get("batch_size").asInt();
        long seed = settings.get("seed").asLong();
        BatchOrder order = new BatchOrder(examples.size(), batchSize, seed);
        JsonNode microBatches = root.get("micro_batches");
        for (int n = 0; n < microBatches.size(); n++) {
            List<Integer> expected = new ArrayList<>();
            microBatches.get(n).forEach(i -> expected.add(i.asInt()));
            assertEquals(expected, order.batch(n), "examples of micro-batch " + n + " (BatchOrder vs the fixture)");
        }
        TrainingOptions options = TrainingOptions.builder().learningRate(settings.get("learning_rate").asDouble())
                .batchSize(batchSize).gradientAccumulation(settings.get("gradient_accumulation").asInt())
                .maxSteps(settings.get("updates").asLong()).warmupSteps(settings.get("warmup_steps").asLong())
                .weightDecay(settings.get("weight_decay").asDouble())
                .maxGradNorm(settings.get("max_grad_norm").asDouble()).seed(seed).build();
        JsonNode updates = root.get("updates");
        Map<String, float[]> snapshots = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(fixture.resolve("snapshots.safetensors"))) {
            for (String name : file.tensors().keySet()) {
                snapshots.put(name, file.readFloats(name));
            }
        }
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            AdaptedModel adapter = Adapters.load(lm.model(), fixture.resolve("initial"));
            Map<String, Parameter> tensors = named(adapter);
            assertEquals(updates.get(0).get("tensors").size(), tensors.size(), "adapter tensors");
            double[] noise = new double[3]; // loss, grad norm, tensors: the largest float32 noise up to this update
            Trainer.Result result = Trainer.builder(adapter)
                    .data(new TokenizedDataset(examples, 0, 0, settings.get("max_length").asInt()))
                    .padTokenId(settings.get("pad_token_id").asLong()).options(options)
                    .onStep(m -> compare(m, updates.get((int) m.step() - 1), tensors, snapshots, noise))
                    .build().train();
            assertEquals(updates.size(), result.steps());
        }
    }

    /** Compares one update with the fixture's, failing on the first quantity that drifts. */
    private static void compare(StepMetrics m, JsonNode torch, Map<String, Parameter> tensors,
            Map<String, float[]> snapshots, double[] noise) {
        long step = m.step();
        assertEquals(step, torch.get("step").asLong());
        noise[0] = Math.max(noise[0], torch.get("loss_noise").asDouble());
        noise[1] = Math.max(noise[1], torch.get("grad_norm_noise").asDouble());
        noise[2] = Math.max(noise[2], torch.get("tensor_noise").asDouble());
        assertEquals(torch.get("lr").asDouble(), m.learningRate(), 1e-12, "learning rate of update " + step);
        requireClose("loss", step, torch.get("loss").asDouble(), m.loss(), noise[0]);
        requireClose("gradient norm (before clipping)", step, torch.get("grad_norm").asDouble(), m.gradNorm(),
                noise[1]);
        String snapshot = String.format("step-%03d/", step);
        for (Map.Entry<String, Parameter> e : tensors.entrySet()) {
            String name = e.getKey();
            float[] values = e.getValue().getArray().toFloatArray();
            JsonNode expected = torch.get("tensors").get(name);
            if (expected == null) {
                fail("the fixture has no tensor " + name + " (names: " + torch.get("tensors").fieldNames() + ")");
            }
            double torchNorm = expected.get("norm").asDouble();
            double tolerance = tolerance(noise[2]) * torchNorm;
            double norm = 0;
            double probe = 0;
            double probeNorm = 0;
            for (int i = 0; i < values.length; i++) {
                double w = Math.cos(0.37 * i + 0.11);
                norm += (double) values[i] * values[i];
                probe += w * values[i];
                probeNorm += w * w;
            }
            requireWithin(name + " norm", step, torchNorm, Math.sqrt(norm), tolerance);
            requireWithin(name + " projection", step, expected.get("probe").asDouble(), probe,
                    tolerance * Math.sqrt(probeNorm));
            float[] whole = snapshots.get(snapshot + name);
            if (whole != null) {
                double distance = 0;
                int worst = 0;
                for (int i = 0; i < values.length; i++) {
                    double d = values[i] - (double) whole[i];
                    distance += d * d;
                    if (Math.abs(d) > Math.abs(values[worst] - (double) whole[worst])) {
                        worst = i;
                    }
                }
                requireWithin(name + " (whole tensor, L2 distance; largest at element " + worst + ": " + values[worst]
                        + " vs " + whole[worst] + ")", step, 0, Math.sqrt(distance), tolerance);
            }
        }
    }

    private static double tolerance(double noise) {
        return Math.max(NOISE_FACTOR * noise, FLOOR);
    }

    private static void requireClose(String what, long step, double expected, double actual, double noise) {
        requireWithin(what, step, expected, actual, tolerance(noise) * Math.abs(expected));
    }

    private static void requireWithin(String what, long step, double expected, double actual, double tolerance) {
        if (!(Math.abs(actual - expected) <= tolerance)) {
            fail("first drift at update " + step + ": " + what + " is " + actual + ", transformers + PEFT have "
                    + expected + " (difference " + Math.abs(actual - expected) + ", tolerance " + tolerance + ")");
        }
    }

    /** The trainable tensors by "module.tensor", as the fixture names them. */
    private static Map<String, Parameter> named(AdaptedModel adapter) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        adapter.layers().forEach((module, layer) -> layer.tensors().forEach((name, p) -> out.put(module + "." + name,
                p)));
        return out;
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
