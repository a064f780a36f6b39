package ai.sara4j.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.rank.BudgetMatcher;
import ai.sara4j.core.rank.Method;
import ai.sara4j.core.rank.RankPlan;
import ai.sara4j.core.rank.RankPlanner;
import ai.sara4j.core.rank.Spectrum;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.svd.EngineSingularValues;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./sara demo}: runs with no download. Builds a small LLaMA-shaped checkpoint whose layers have different
 * spectra, then shows SARA's rank plan on it (table and chart) and the threshold matching a LoRA budget.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Build a small LLaMA-shaped model and show SARA's per-layer ranks on it (no download).")
final class DemoCommand implements Callable<Integer> {
    private static final String TARGETS = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";

    @Option(names = "--out", defaultValue = "runs/demo", description = "Folder for the demo's files (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threshold", defaultValue = "0.3", description = "SARA threshold to show (default ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    /** The demo model's shape: LLaMA layout, small enough for seconds on a laptop CPU. */
    static final int HIDDEN = 128;
    static final int INTERMEDIATE = 344;
    static final int LAYERS = 6;
    static final int HEADS = 4;
    static final int VOCAB = 512;

    /** A target projection of every layer and the decay length τ of its spectrum in layer 0. */
    private record Projection(String name, int out, int in, double tau) {}

    private static final Projection[] PROJECTIONS = {
        new Projection("self_attn.q_proj", HIDDEN, HIDDEN, 6),
        new Projection("self_attn.k_proj", HIDDEN, HIDDEN, 4),
        new Projection("self_attn.v_proj", HIDDEN, HIDDEN, 12),
        new Projection("self_attn.o_proj", HIDDEN, HIDDEN, 16),
        new Projection("mlp.gate_proj", INTERMEDIATE, HIDDEN, 20),
        new Projection("mlp.up_proj", INTERMEDIATE, HIDDEN, 24),
        new Projection("mlp.down_proj", HIDDEN, INTERMEDIATE, 28),
    };

    @Override
    public Integer call() throws Exception {
        Path modelDir = out.resolve("model");
        System.out.println("1. Building a small LLaMA-shaped model (" + LAYERS + " layers, hidden " + HIDDEN
                + ") whose weights have a different spectrum in every layer ...");
        writeModel(modelDir, seed);
        System.out.println("   written to " + modelDir.toAbsolutePath());

        try (Checkpoint checkpoint = Checkpoint.open(modelDir)) {
            RankPlanner planner = RankPlanner.of(checkpoint, TargetMatcher.parse(TARGETS));
            System.out.println("2. Singular values of the " + planner.targets().size()
                    + " target weights (float64 SVD on the engine) ...");
            Map<String, Spectrum> spectra = planner.spectra(EngineSingularValues.exact(Device.cpu()));

            RankPlan sara = planner.byThreshold(Method.SARA, threshold, 0, spectra);
            System.out.println("3. SARA rank plan at threshold " + threshold
                    + " (k = smallest rank whose singular values reach that share of their sum):");
            System.out.println(sara.toTable());
            Path chart = out.resolve("ranks.png");
            PlanCommand.drawChart(sara, chart);

            RankPlan lora = planner.fixedRank(Method.LORA, 8);
            BudgetMatcher.Match match = BudgetMatcher.match(planner, Method.SARA, 0, spectra, lora.trainable());
            System.out.printf("4. LoRA r=8 on the same targets trains %,d parameters; SARA matches that budget at "
                    + "threshold %.4f with %,d parameters, ranks from %d to %d.%n", lora.trainable(),
                    match.threshold(), match.plan().trainable(),
                    match.plan().modules().stream().mapToInt(RankPlan.ModuleRank::k).min().orElse(0),
                    match.plan().modules().stream().mapToInt(RankPlan.ModuleRank::k).max().orElse(0));
            System.out.println("Files: model " + modelDir.toAbsolutePath() + ", rank chart " + chart.toAbsolutePath());
        }
        return 0;
    }

    /**
     * Writes config.json and model.safetensors. Each target weight is P·diag(s)·Qᵀ with random directions and
     * s_j = exp(-j/τ): τ grows with depth and differs per projection, so the rank rule gives each its own k.
     */
    static void writeModel(Path dir, long seed) throws java.io.IOException {
        String config = "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n"
                + "  \"hidden_size\": " + HIDDEN + ",\n  \"intermediate_size\": " + INTERMEDIATE + ",\n"
                + "  \"num_hidden_layers\": " + LAYERS + ",\n  \"num_attention_heads\": " + HEADS + ",\n"
                + "  \"num_key_value_heads\": " + HEADS + ",\n  \"vocab_size\": " + VOCAB + ",\n"
                + "  \"max_position_embeddings\": 256,\n  \"rms_norm_eps\": 1e-06,\n  \"rope_theta\": 10000.0,\n"
                + "  \"hidden_act\": \"silu\",\n  \"tie_word_embeddings\": true,\n  \"bos_token_id\": 1,\n"
                + "  \"eos_token_id\": 2,\n  \"torch_dtype\": \"float32\"\n}\n";
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            manager.getEngine().setRandomSeed((int) seed);
            add(writer, "model.embed_tokens.weight", manager.randomNormal(0, 0.02f, new Shape(VOCAB, HIDDEN), DataType.FLOAT32));
            add(writer, "model.norm.weight", manager.ones(new Shape(HIDDEN)));
            for (int layer = 0; layer < LAYERS; layer++) {
                String prefix = "model.layers." + layer + ".";
                add(writer, prefix + "input_layernorm.weight", manager.ones(new Shape(HIDDEN)));
                add(writer, prefix + "post_attention_layernorm.weight", manager.ones(new Shape(HIDDEN)));
                for (Projection p : PROJECTIONS) {
                    add(writer, prefix + p.name() + ".weight",
                            withSpectrum(manager, p.out(), p.in(), p.tau() * (1 + 0.5 * layer)));
                }
            }
        }
        AtomicFiles.writeString(dir.resolve("config.json"), config);
        writer.write(dir.resolve("model.safetensors"));
    }

    private static NDArray withSpectrum(NDManager manager, int out, int in, double tau) {
        int n = Math.min(out, in);
        float[] s = new float[n];
        for (int j = 0; j < n; j++) {
            s[j] = (float) (0.5 * Math.exp(-j / tau));
        }
        NDArray p = manager.randomNormal(new Shape(out, n)).div(Math.sqrt(out));
        NDArray q = manager.randomNormal(new Shape(n, in)).div(Math.sqrt(in));
        return p.mul(manager.create(s)).matMul(q);
    }

    private static void add(SafetensorsWriter writer, String name, NDArray array) {
        writer.add(name, DType.F32, array.getShape().getShape(), array.toByteBuffer());
    }
}
