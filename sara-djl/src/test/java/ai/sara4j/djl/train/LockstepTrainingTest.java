package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.data.BatchOrder;
import ai.sara4j.djl.train.data.TokenizedDataset;
import ai.sara4j.djl.train.data.TrainingExample;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SARA4J's {@link Trainer} in lockstep with transformers' {@code Trainer} + PEFT LoRA (the fixture of
 * {@code tools/fixtures/make_lockstep_fixture.py}): the same starting adapter (PEFT's initialisation, r 2 on all
 * seven targets of tinystories-656k), the same 36 E2E examples in the same order (SARA4J's {@link BatchOrder}, which
 * the fixture restates as the Trainer's sampler), 50 updates of two right-padded micro-batches of 4 with dropout off
 * over 10 epochs of 9 micro-batches (each epoch ends with an update of one micro-batch, as transformers' Trainer
 * groups them), AdamW with weight decay, linear warm-up and decay, and clipping at a norm about half the updates
 * exceed. After every update the loss, the
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
    /** Standard errors two statistics of the dropout comparison may differ by (60 statistics: 1e-3 in all). */
    private static final double Z_BOUND = 4.5;
    /** Dropout draws on SARA4J's side (the fixture has its own number): each is a forward and backward pass. */
    private static final int DRAWS = 200;
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

    /**
     * Dropout on: the loss and gradients of one training pass vary with the dropout draw; over {@value #DRAWS} draws
     * against the fixture's, SARA4J's packed dropout (one mask per adapted module on its input, kept elements
     * rescaled) and PEFT's {@code nn.Dropout} on each lora_A input must give the same distribution: the mean and the
     * variance of the loss, of the gradient norm and of each gradient's projection agree within {@value #Z_BOUND}
     * standard errors of their difference (the standard error of a variance from the fourth central moment), a bound
     * a correct implementation exceeds with probability below 1e-3 over all these statistics together. (Its power is
     * modest: in a trial, twice the dropout rate was caught by the loss's variance at 4.6 standard errors; the rate
     * itself is checked to 5 standard errors of 100,000 draws per lane by {@code PackedDropoutTest}.)
     */
    @Test
    void dropoutGivesTheLossAndGradientDistributionOfPeft() throws Exception {
        Path fixture = Path.of(getClass().getResource("/fixtures/train/lockstep").toURI());
        JsonNode root = JSON.readTree(fixture.resolve("lockstep.json").toFile());
        JsonNode dropout = JSON.readTree(fixture.resolve("dropout.json").toFile());
        JsonNode settings = root.get("settings");
        List<TrainingExample> batch = new ArrayList<>();
        for (int i = 0; i < dropout.get("examples").asInt(); i++) {
            JsonNode e = root.get("examples").get(i);
            batch.add(new TrainingExample(longs(e.get("input_ids")), longs(e.get("labels"))));
        }
        List<String> targets = new ArrayList<>();
        settings.get("targets").forEach(t -> targets.add(t.asText()));
        int torchDraws = dropout.get("draws").asInt();
        Map<String, double[]> samples = new LinkedHashMap<>();
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories());
                SafetensorsFile file = SafetensorsFile.open(fixture.resolve("snapshots.safetensors"))) {
            AdaptedModel adapter = Adapters.inject(lm.model(), LoraConfig.of(TargetMatcher.names(targets),
                    settings.get("r").asInt(), settings.get("alpha").asDouble())
                    .withDropout(dropout.get("dropout").asDouble()));
            Map<String, Parameter> tensors = named(adapter);
            String state = String.format("step-%03d/", dropout.get("state_step").asInt());
            for (Map.Entry<String, Parameter> e : tensors.entrySet()) {
                e.getValue().getArray().set(FloatBuffer.wrap(file.readFloats(state + e.getKey())));
            }
            CausalLmObjective objective = CausalLmObjective.padding(settings.get("pad_token_id").asLong());
            long counted = objective.countedTargets(batch);
            NDManager manager = tensors.values().iterator().next().getArray().getManager();
            ParameterStore store = new ParameterStore(manager, false);
            for (int draw = 0; draw < DRAWS; draw++) {
                Engine.getInstance().setRandomSeed(1000 + draw);
                double loss;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
                        loss = objective.forwardBackward(store, manager, lm.model(), batch, 1.0 / counted).lossSum()
                                / counted;
                    }
                }
                samples.computeIfAbsent("loss", k -> new double[DRAWS])[draw] = loss;
                samples.computeIfAbsent("grad_norm", k -> new double[DRAWS])[draw] =
                        GradientClipping.globalNorm(tensors.values());
                for (Map.Entry<String, Parameter> e : tensors.entrySet()) {
                    float[] g = e.getValue().getArray().getGradient().toFloatArray();
                    samples.computeIfAbsent("grad " + e.getKey(), k -> new double[DRAWS])[draw] = probe(g)[1];
                }
                GradientClipping.zero(tensors.values());
            }
        }
        JsonNode torch = dropout.get("statistics");
        assertEquals(torch.size(), samples.size(), "statistics");
        for (Map.Entry<String, double[]> e : samples.entrySet()) {
            JsonNode t = torch.get(e.getKey());
            double[] x = e.getValue();
            double mean = Arrays.stream(x).average().orElseThrow();
            double variance = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / (DRAWS - 1);
            double fourth = Arrays.stream(x).map(v -> Math.pow(v - mean, 4)).average().orElseThrow();
            double meanError = Math.sqrt(variance / DRAWS + t.get("variance").asDouble() / torchDraws);
            double varianceError = Math.hypot(Math.sqrt(Math.max(fourth - variance * variance, 0) / DRAWS),
                    Math.sqrt(Math.max(t.get("fourth_moment").asDouble() - Math.pow(t.get("variance").asDouble(), 2),
                            0) / torchDraws));
            double meanZ = Math.abs(mean - t.get("mean").asDouble()) / meanError;
            double varianceZ = Math.abs(variance - t.get("variance").asDouble()) / varianceError;
            if (!(meanZ <= Z_BOUND && varianceZ <= Z_BOUND)) {
                fail(String.format("dropout: %s has mean %.6g and variance %.4g over %d draws, PEFT %.6g and %.4g"
                        + " over %d (z %.1f and %.1f, bound %.1f)", e.getKey(), mean, variance, DRAWS,
                        t.get("mean").asDouble(), t.get("variance").asDouble(), torchDraws, meanZ, varianceZ,
                        Z_BOUND));
            }
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
            double[] probe = probe(values);
            requireWithin(name + " norm", step, torchNorm, probe[0], tolerance);
            requireWithin(name + " projection", step, expected.get("probe").asDouble(), probe[1],
                    tolerance * probe[2]);
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

    /**
     * The fixture's checksums of a tensor's row-major values: {L2 norm, dot product with the probe
     * cos(0.37·i + 0.11), the probe's own norm}, in float64.
     */
    private static double[] probe(float[] values) {
        double norm = 0;
        double dot = 0;
        double probeNorm = 0;
        for (int i = 0; i < values.length; i++) {
            double w = Math.cos(0.37 * i + 0.11);
            norm += (double) values[i] * values[i];
            dot += w * values[i];
            probeNorm += w * w;
        }
        return new double[] {Math.sqrt(norm), dot, Math.sqrt(probeNorm)};
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
