package ai.sara4j.djl.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.HalfFloats;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a Llama-family checkpoint folder with random weights in Hugging Face's layout ({@code config.json}, shards
 * and {@code model.safetensors.index.json}), without ever holding more than one shard in memory: for load tests and
 * benchmarks of checkpoints larger than the machine's memory (a LLaMA-7B shape is 13.5 GB in BF16). Projection and
 * embedding weights are uniform with standard deviation 0.02, norm weights one. Tensor names and shapes are those
 * {@link ModelLoader#load} expects for the configuration.
 *
 * <pre>{@code
 * RandomCheckpoint.of(ModelPresets.get("llama-7b")).shardDTypes(List.of(DType.BF16)).write(Path.of("/tmp/7b"));
 * }</pre>
 */
public final class RandomCheckpoint {
    private final ModelConfig config;
    private List<DType> shardDTypes = List.of(DType.BF16);
    private long maxShardBytes = 1L << 30;
    private long seed = 1;

    private RandomCheckpoint(ModelConfig config) {
        this.config = config;
    }

    /**
     * A writer for {@code config}'s shape, BF16 shards of at most 1 GiB, seed 1.
     *
     * @param config a Llama-family configuration
     * @return the writer, to configure and {@link #write}
     * @throws IllegalArgumentException for another family, or a scaled rotary embedding (its config.json keys are
     *     not written)
     */
    public static RandomCheckpoint of(ModelConfig config) {
        if (config.family() != ModelFamily.LLAMA) {
            throw new IllegalArgumentException("random checkpoints are written for the llama family only, got "
                    + config.family().modelType());
        }
        if (!config.rope().scaling().equals(Rope.Scaling.NONE)) {
            throw new IllegalArgumentException("random checkpoints are written without rope scaling only, got "
                    + config.rope().scaling());
        }
        return new RandomCheckpoint(config);
    }

    /**
     * The dtypes of the shards, used in turn (shard i has {@code dtypes.get(i % dtypes.size())}), so one checkpoint
     * can mix F32, F16 and BF16 shards.
     *
     * @param dtypes F32, F16 or BF16, at least one
     * @return this writer
     * @throws IllegalArgumentException for an empty list or another dtype
     */
    public RandomCheckpoint shardDTypes(List<DType> dtypes) {
        if (dtypes.isEmpty() || dtypes.stream().anyMatch(t -> t != DType.F32 && t != DType.F16 && t != DType.BF16)) {
            throw new IllegalArgumentException("shard dtypes must be F32, F16 or BF16 (at least one), got " + dtypes);
        }
        this.shardDTypes = List.copyOf(dtypes);
        return this;
    }

    /**
     * The size, in the shard's dtype, above which a shard is closed and the next begun (a tensor larger than this
     * gets a shard of its own). This bounds the writer's memory.
     *
     * @param bytes at least 1
     * @return this writer
     * @throws IllegalArgumentException for a size below 1
     */
    public RandomCheckpoint maxShardBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("max shard bytes must be at least 1, got " + bytes);
        }
        this.maxShardBytes = bytes;
        return this;
    }

    /**
     * The seed of the values (the same seed and settings write the same bytes).
     *
     * @param seed any value
     * @return this writer
     */
    public RandomCheckpoint seed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Writes {@code config.json}, the shards {@code model-0000i-of-0000n.safetensors} and the index into
     * {@code folder} (created when missing).
     *
     * @param folder the checkpoint folder
     * @return the number of shards written
     * @throws IOException when a file cannot be written
     */
    public int write(Path folder) throws IOException {
        Files.createDirectories(folder);
        CausalLM model = ModelBuilder.build(config);
        List<List<Map.Entry<String, Parameter>>> shards = new ArrayList<>();
        List<Map.Entry<String, Parameter>> current = new ArrayList<>();
        long currentBytes = 0;
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            if (config.tieWordEmbeddings() && e.getKey().equals("lm_head.weight")) {
                continue;
            }
            DType dtype = shardDTypes.get(shards.size() % shardDTypes.size());
            long bytes = model.declaredShape(e.getValue()).size() * dtype.byteSize();
            if (!current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(e);
            currentBytes += bytes;
        }
        shards.add(current);
        ObjectMapper json = new ObjectMapper();
        ObjectNode index = json.createObjectNode();
        ObjectNode weightMap = index.putObject("weight_map");
        SplittableRandom random = new SplittableRandom(seed);
        for (int s = 0; s < shards.size(); s++) {
            String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            DType dtype = shardDTypes.get(s % shardDTypes.size());
            SafetensorsWriter writer = new SafetensorsWriter();
            for (Map.Entry<String, Parameter> e : shards.get(s)) {
                Shape shape = model.declaredShape(e.getValue());
                boolean norm = e.getValue().getType() == Parameter.Type.GAMMA;
                writer.add(e.getKey(), dtype, shape.getShape(), values(random, shape.size(), dtype, norm));
                weightMap.put(e.getKey(), file);
            }
            writer.write(folder.resolve(file));
        }
        json.writerWithDefaultPrettyPrinter().writeValue(folder.resolve(Checkpoint.INDEX_FILE).toFile(), index);
        json.writerWithDefaultPrettyPrinter().writeValue(folder.resolve(ModelLoader.CONFIG_FILE).toFile(),
                configJson(json));
        return shards.size();
    }

    private static ByteBuffer values(SplittableRandom random, long count, DType dtype, boolean ones) {
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(count * dtype.byteSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        double halfWidth = 0.02 * Math.sqrt(3); // uniform(-a, a) has standard deviation a / sqrt(3)
        for (long i = 0; i < count; i++) {
            float v = ones ? 1f : (float) random.nextDouble(-halfWidth, halfWidth);
            switch (dtype) {
                case F32 -> out.putFloat(v);
                case F16 -> out.putShort(HalfFloats.floatToHalf(v));
                default -> out.putShort(HalfFloats.floatToBf16(v));
            }
        }
        return out.flip();
    }

    private ObjectNode configJson(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.put("model_type", config.family().modelType());
        c.put("vocab_size", config.vocabSize());
        c.put("hidden_size", config.hiddenSize());
        c.put("num_hidden_layers", config.numLayers());
        c.put("num_attention_heads", config.numHeads());
        c.put("num_key_value_heads", config.numKvHeads());
        c.put("head_dim", config.headDim());
        c.put("intermediate_size", config.intermediateSize());
        c.put("rms_norm_eps", config.normEps());
        c.put("hidden_act", config.activation().hfName());
        c.put("rope_theta", config.rope().theta());
        c.put("max_position_embeddings", config.maxPositions());
        c.put("tie_word_embeddings", config.tieWordEmbeddings());
        c.put("attention_bias", config.attentionBias());
        c.put("mlp_bias", config.mlpBias());
        c.put("bos_token_id", config.bosTokenId());
        c.putArray("eos_token_id").addAll(config.eosTokenIds().stream().map(json.getNodeFactory()::numberNode)
                .toList());
        c.put("torch_dtype", switch (shardDTypes.get(0)) {
            case F32 -> "float32";
            case F16 -> "float16";
            default -> "bfloat16";
        });
        return c;
    }
}
