package ai.sara4j.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.cuda.CudaUtils;
import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.model.CausalLM;
import ai.sara4j.djl.model.ModelLoader;
import ai.sara4j.djl.model.ModelPresets;
import ai.sara4j.djl.train.Trainer;
import ai.sara4j.djl.train.TrainingOptions;
import ai.sara4j.djl.train.data.TokenizedDataset;
import ai.sara4j.djl.train.data.TrainingExample;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./sara bench train}: speed and memory of SARA4J's training loop ({@link Trainer}: forward, backward, clipping,
 * AdamW) on random token batches, for a checkpoint or a named model shape with random weights.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Training-step benchmark: tokens/s, median step time, adapter set-up time, trainable count, peak memory.")
final class BenchTrainCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    ModelChoice source;

    static final class ModelChoice {
        @Option(names = "--model", description = "Hugging Face model folder.")
        Path model;

        @Option(names = "--shape", description = "Random weights of a named shape (ModelPresets): llama-7b, mistral-7b,"
                + " qwen2.5-7b, gemma-7b, pythia-6.9b, …")
        String shape;
    }

    @Mixin
    AdapterChoice adapterChoice;

    @Option(names = "--batch-size", defaultValue = "4", description = "Sequences per step (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup-steps", defaultValue = "2", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--dtype", description = "fp32 or fp16 base weights (default: fp16 on a GPU, fp32 on CPU).")
    String dtype;

    @Option(names = "--gradient-checkpointing", description = "Recompute each decoder layer's activations in the backward pass instead of keeping them (less memory, about a third more compute).")
    boolean gradientCheckpointing;

    @Mixin
    DeviceOption device;

    @Option(names = "--seed", defaultValue = "42", description = "Random weights, tokens and adapter (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--profile", description = "Write libtorch's profile of the timed steps (chrome-trace JSON) to this file.")
    Path profile;

    @Option(names = "--save-adapter", description = "Save the trained adapter to this folder and time it (save_s).")
    Path saveAdapter;

    @Option(names = "--json", description = "Print JSON (the default output is JSON too, indented).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        adapterChoice.check(seed);
        if (profile != null) {
            OutputFolder.of("profile", "./sara bench train").withOption("--profile").withInput("--model", source.model)
                    .checkFile(profile);
        }
        Device dev = device.device();
        DataType type = dtype == null ? ModelLoader.workingType(dev)
                : Engines.floatType("--dtype", dtype, DataType.FLOAT32, DataType.FLOAT16);
        if (steps < 1 || warmupSteps < 0 || seqLen < 2) {
            throw new IllegalArgumentException("need --steps >= 1, --warmup-steps >= 0 and --seq-len >= 2, got "
                    + steps + ", " + warmupSteps + " and " + seqLen);
        }
        TrainingOptions options;
        try {
            options = TrainingOptions.builder().learningRate(1e-4).batchSize(batchSize).warmupSteps(0)
                    .maxSteps(warmupSteps + steps).seed(seed).gradientCheckpointing(gradientCheckpointing).build();
        } catch (TrainingOptions.InvalidOptionException e) {
            throw new IllegalArgumentException((e.option().equals("batchSize") ? "--batch-size " : e.option() + " ")
                    + e.problem(), e);
        }
        OutputFolder adapterOutput = OutputFolder.of("adapter", "./sara bench train").withOption("--save-adapter")
                .withInput("--model", source.model);
        if (saveAdapter != null) {
            adapterOutput.check(saveAdapter);
        }
        try (NDManager manager = NDManager.newBaseManager(dev)) {
            long loadStart = System.nanoTime();
            CausalLM model = source.model != null ? ModelLoader.load(source.model, manager, type)
                    : ModelLoader.random(ModelPresets.get(source.shape), manager, type, seed);
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            long rssAfterLoad = procStatus("VmRSS");
            long initStart = System.nanoTime();
            AdapterConfig config = adapterChoice.config(source.model, dev, seed);
            AdaptedModel adapter = Adapters.inject(model, config);
            double initSeconds = (System.nanoTime() - initStart) / 1e9;
            TokenizedDataset data = randomTokens(model.config().vocabSize());
            List<Double> stepMs = new ArrayList<>();
            long[] rssAfterWarmup = {0};
            Trainer.builder(adapter).data(data).padTokenId(0).options(options).hooks(List.of()).onStep(m -> {
                if (m.step() == warmupSteps) {
                    rssAfterWarmup[0] = procStatus("VmRSS");
                    if (profile != null) {
                        JniUtils.startProfile(false, true, false);
                    }
                } else if (m.step() > warmupSteps) {
                    stepMs.add(1000.0 * batchSize * seqLen / m.tokensPerSecond());
                }
                if (profile != null && m.step() == warmupSteps + steps) {
                    JniUtils.stopProfile(profile.toAbsolutePath().toString());
                }
            }).build().train();
            double saveSeconds = Double.NaN;
            if (saveAdapter != null) {
                long saveStart = System.nanoTime();
                adapterOutput.write(saveAdapter, adapter::save);
                saveSeconds = (System.nanoTime() - saveStart) / 1e9;
            }
            long rssEnd = procStatus("VmRSS"); // before the peak, so peak >= end holds
            double median = median(stepMs);
            ObjectNode out = Json.MAPPER.createObjectNode();
            out.put("model", source.model != null ? source.model.toString() : source.shape);
            out.put("method", config.method());
            out.put("device", dev.toString());
            out.put("dtype", type.toString().toLowerCase(java.util.Locale.ROOT));
            out.put("batch_size", batchSize);
            out.put("seq_len", seqLen);
            out.put("steps", steps);
            out.put("gradient_checkpointing", gradientCheckpointing);
            out.put("tokens_per_s", batchSize * seqLen / (median / 1000));
            out.put("step_ms", median);
            out.put("load_s", loadSeconds);
            out.put("init_s", initSeconds);
            out.put("trainable", adapter.trainableCount());
            if (dev.isGpu()) {
                // device memory in use at the end (DJL exposes no allocator peak); the base weights dominate it
                out.put("peak_memory_bytes", CudaUtils.getGpuMemory(dev).getUsed());
                out.put("peak_memory_kind", "gpu_used_at_end");
            } else {
                out.put("peak_memory_bytes", procStatus("VmHWM"));
                out.put("peak_memory_kind", "process_rss_peak");
            }
            if (saveAdapter != null) {
                out.put("save_s", saveSeconds);
            }
            out.put("rss_after_load_bytes", rssAfterLoad);
            out.put("rss_after_warmup_bytes", rssAfterWarmup[0]);
            out.put("rss_end_bytes", rssEnd);
            System.out.println(Json.MAPPER.writeValueAsString(out));
        }
        return 0;
    }

    /** {@code batchSize} random sequences of {@code seqLen} tokens, every position a target (no prompt). */
    private TokenizedDataset randomTokens(int vocab) {
        Random random = new Random(seed);
        List<TrainingExample> examples = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) {
            long[] ids = new long[seqLen];
            for (int t = 0; t < seqLen; t++) {
                ids[t] = random.nextInt(vocab);
            }
            examples.add(new TrainingExample(ids, ids.clone()));
        }
        return new TokenizedDataset(examples, 0, 0, seqLen);
    }

    /** A {@code kB} field of /proc/self/status in bytes (0 where there is none, e.g. not Linux). */
    static long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) {
            throw new IllegalArgumentException("--steps must be >= 1");
        }
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
