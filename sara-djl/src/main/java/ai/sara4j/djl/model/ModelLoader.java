package ai.sara4j.djl.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.SafetensorsException;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.safetensors.TensorSource;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates {@link CausalLM}s: from a Hugging Face checkpoint folder ({@code config.json} plus
 * {@code model.safetensors} or a sharded index), or from a configuration alone with random weights.
 */
public final class ModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

    /** The {@code config.json} of a model folder. */
    public static final String CONFIG_FILE = "config.json";

    private ModelLoader() {}

    /**
     * The working dtype for a device.
     *
     * @param device where the model will live
     * @return float16 on a GPU, float32 elsewhere
     */
    public static DataType workingType(Device device) {
        return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
    }

    /**
     * Loads a checkpoint folder onto {@code manager}'s device in its {@link #workingType working dtype}.
     *
     * @param folder the model folder ({@code config.json} plus safetensors weights)
     * @param manager owns the weights (through a sub-manager); its device is the model's
     * @return the model with the checkpoint's weights
     * @throws ModelException when a file is missing or invalid, a tensor is missing or has the wrong shape, naming
     *     the file
     */
    public static CausalLM load(Path folder, NDManager manager) throws ModelException {
        return load(folder, manager, workingType(manager.getDevice()));
    }

    /**
     * Loads a checkpoint folder. Weights are read one tensor at a time (from each shard of a sharded checkpoint)
     * into one reused buffer the size of the largest tensor, converted there to {@code dtype} (float32 or float16;
     * BF16 checkpoints are widened in Java), and copied natively onto the device before the next; no second copy of
     * the model is held, on the Java heap or off it, and no memory map. Every problem (missing folder or file, bad JSON or header, missing tensor, shape disagreeing
     * with config.json) is a {@link ModelException} naming the file.
     *
     * @param folder the model folder ({@code config.json} plus safetensors weights)
     * @param manager owns the weights (through a sub-manager); its device is the model's
     * @param dtype float32 or float16
     * @return the model with the checkpoint's weights
     * @throws ModelException when a file is missing or invalid, a tensor is missing, non-finite or has the wrong
     *     shape, naming the file
     * @throws IllegalArgumentException for a dtype other than float32 or float16
     */
    public static CausalLM load(Path folder, NDManager manager, DataType dtype) throws ModelException {
        if (!Files.isDirectory(folder)) {
            throw new ModelException(folder + ": no such model folder");
        }
        ModelConfig config = ModelConfig.read(folder.resolve(CONFIG_FILE));
        CausalLM model = ModelBuilder.build(config);
        NDManager weights = manager.newSubManager();
        try (Checkpoint checkpoint = Checkpoint.open(folder)) {
            loadWeights(model, checkpoint, weights, dtype);
        } catch (ModelException e) {
            weights.close();
            throw e;
        } catch (java.io.IOException e) {
            weights.close();
            throw new ModelException(ModelException.firstLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        LOG.info("loaded {} model from {}: {} parameters as {}", config.family().modelType(), folder,
                model.declaredParameterCount(), dtype);
        return model;
    }

    private static void loadWeights(CausalLM model, TensorSource checkpoint, NDManager manager, DataType dtype)
            throws SafetensorsException, ModelException {
        DType target = dtype == DataType.FLOAT16 ? DType.F16 : DType.F32;
        if (dtype != DataType.FLOAT16 && dtype != DataType.FLOAT32) {
            throw new IllegalArgumentException("working dtype must be float32 or float16, got " + dtype);
        }
        ByteBuffer scratch = loadBuffer(checkpoint, target);
        Map<String, String> names = new LinkedHashMap<>();
        Map<String, Parameter> params = model.namedParameters();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String path = e.getKey();
            if (isTiedHead(model, path)) {
                continue;
            }
            String module = path.substring(0, path.lastIndexOf('.'));
            boolean transposed = model.transposedModules().contains(module) && path.endsWith(".weight");
            Shape shape = model.declaredShape(e.getValue());
            Shape stored = transposed ? new Shape(shape.get(1), shape.get(0)) : shape;
            String name = checkpointName(checkpoint, model, path, stored);
            TensorInfo info = checkpoint.info(name);
            if (!Arrays.equals(info.shape(), stored.getShape())) {
                throw new ModelException(checkpoint.fileOf(name) + ": tensor '" + name + "' has shape "
                        + Arrays.toString(info.shape()) + " but config.json implies "
                        + Arrays.toString(stored.getShape()));
            }
            NDArray array = nativeCopy(manager, checkpoint.floatBuffer(name, target, scratch), stored, dtype);
            if (transposed) {
                NDArray stored2d = array;
                array = stored2d.transpose().flatten().reshape(shape); // contiguous (out, in)
                stored2d.close();
            }
            e.getValue().setArray(array);
            names.put(path, name);
        }
        if (model.config().tieWordEmbeddings()) {
            String embed = model.embeddingWeightPath();
            params.get("lm_head.weight").setArray(params.get(embed).getArray());
            names.put("lm_head.weight", names.get(embed));
        }
        model.setCheckpointNames(names);
        model.initialize(manager, dtype, new Shape(1, 1));
        int unused = checkpoint.tensors().size() - (int) names.values().stream().distinct().count();
        if (unused > 0) {
            LOG.debug("{}: {} checkpoint tensors not used by the model (buffers such as attn.bias)", checkpoint,
                    unused);
        }
    }

    /**
     * One direct buffer for every tensor of a load, the size of the largest floating tensor as stored or converted
     * to {@code target}: each tensor is read into it (no memory map), converted in place, and copied natively onto
     * the device before the next, so the load's host memory is the model plus this one buffer, however many tensors
     * and shards the checkpoint holds (fresh buffers per tensor would wait for the garbage collector, up to -Xmx of
     * them, and mapped pages would count towards the process until their maps were collected).
     */
    private static ByteBuffer loadBuffer(TensorSource checkpoint, DType target) {
        long largest = 0;
        for (TensorInfo t : checkpoint.tensors().values()) {
            if (t.dtype().isFloating()) {
                largest = Math.max(largest, Math.max(t.byteLength(), t.numel() * target.byteSize()));
            }
        }
        // a tensor too large for one buffer is refused by floatBuffer, naming it
        return ByteBuffer.allocateDirect((int) Math.min(largest, Integer.MAX_VALUE));
    }

    /**
     * An array owning a native copy of {@code data}. DJL's PyTorch engine wraps a direct buffer without copying, and
     * here the buffer is the load's reused buffer (or, when a tensor did not fit it, a read-only memory map of the
     * checkpoint): a weight left on it would be overwritten by the next tensor, or crash the JVM when written in place
     * (merging an adapter). The copy is made natively, one tensor at a time.
     */
    private static NDArray nativeCopy(NDManager manager, ByteBuffer data, Shape shape, DataType dtype) {
        try (NDArray view = manager.create(data, shape, dtype)) {
            return view.duplicate();
        }
    }

    private static boolean isTiedHead(CausalLM model, String path) {
        return model.config().tieWordEmbeddings() && path.equals("lm_head.weight");
    }

    /**
     * The checkpoint's name for a parameter path: the same name; for GPT-2/GPT-J checkpoints saved from the base
     * model, the name without {@code transformer.}; for tied embeddings stored only as {@code lm_head.weight}, that;
     * GPT-NeoX's head, {@code embed_out.weight} in its checkpoints.
     */
    private static String checkpointName(TensorSource checkpoint, CausalLM model, String path, Shape expected)
            throws ModelException {
        List<String> candidates = new ArrayList<>(List.of(path));
        if (path.startsWith("transformer.")) {
            candidates.add(path.substring("transformer.".length()));
        }
        if (model.config().tieWordEmbeddings() && path.equals(model.embeddingWeightPath())) {
            candidates.add("lm_head.weight");
        }
        if (model.config().family() == ModelFamily.GPT_NEOX && path.startsWith("lm_head.")) {
            candidates.add("embed_out." + path.substring("lm_head.".length())); // transformers 5 renames it so
        }
        for (String name : candidates) {
            if (checkpoint.contains(name)) {
                return name;
            }
        }
        throw new ModelException(checkpoint + ": missing tensor '" + path + "' (config.json implies shape "
                + Arrays.toString(expected.getShape()) + ")");
    }

    /**
     * A model of the given shape with random weights (normal(0, 0.02) for projections and embeddings, ones and
     * zeros for norms and biases), for benchmarks. Allocates the full model: a 7B shape needs ~27 GB in float32.
     *
     * @param config the model's shape
     * @param manager owns the weights; its device is the model's
     * @param dtype the weights' dtype (drawn in float32, then converted)
     * @param seed sets the engine's random seed (global to the engine) before drawing
     * @return the model; its {@link CausalLM#checkpointNames()} is empty
     */
    public static CausalLM random(ModelConfig config, NDManager manager, DataType dtype, long seed) {
        manager.getEngine().setRandomSeed((int) seed);
        CausalLM model = ModelBuilder.build(config);
        Map<String, Parameter> params = model.namedParameters();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            if (isTiedHead(model, e.getKey())) {
                continue;
            }
            Parameter p = e.getValue();
            Shape shape = model.declaredShape(p);
            NDArray array = switch (p.getType()) {
                case GAMMA -> manager.ones(shape, dtype);
                case BETA, BIAS -> manager.zeros(shape, dtype);
                default -> manager.randomNormal(0, 0.02f, shape, DataType.FLOAT32).toType(dtype, false);
            };
            p.setArray(array);
        }
        if (config.tieWordEmbeddings()) {
            String embed = model.embeddingWeightPath();
            params.get("lm_head.weight").setArray(params.get(embed).getArray());
        }
        model.initialize(manager, dtype, new Shape(1, 1));
        return model;
    }
}
