package ai.sara4j.djl.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.SafetensorsException;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.safetensors.TensorSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The parameters of a DJL block in memory as a {@link TensorSource}, so what reads a checkpoint folder can read a
 * model already loaded: {@code RankPlanner.of(ModelTensors.of(lm.model()), targets)} plans the same ranks as the
 * planner over the model's checkpoint folder.
 *
 * <p>Tensors are named by dotted module path plus the parameter's name ({@code model.layers.0.self_attn.q_proj.weight},
 * see {@link Modules}), in name order as safetensors files list them (so plans list modules in the same order as
 * from the checkpoint), with the shape of the array in memory: Linear weights out × in, whatever the
 * checkpoint stored (GPT-2's Conv1D weights are transposed on load). A parameter sharing its array with an earlier one
 * (a tied {@code lm_head.weight}) is listed once, under the first name, as a checkpoint stores it once. Only
 * parameters count: a checkpoint's buffers (GPT-2's {@code attn.bias}) have no counterpart here.
 *
 * <p>The source reads the parameters when asked ({@link #buffer} copies one array to a heap-independent direct buffer,
 * from any device); it does not own the block, and closing it frees nothing. Plan before injecting adapters: an
 * injected adapter's own parameters would be listed too.
 */
public final class ModelTensors implements TensorSource {
    private final String description;
    private final Map<String, NDArray> arrays;
    private final Map<String, TensorInfo> tensors;

    private ModelTensors(String description, Map<String, NDArray> arrays, Map<String, TensorInfo> tensors) {
        this.description = description;
        this.arrays = arrays;
        this.tensors = tensors;
    }

    /**
     * The parameters of {@code block} and every block below it.
     *
     * @param block a block whose parameters hold arrays (a loaded model)
     * @return the source
     * @throws IllegalArgumentException naming the parameter when one has no array yet or an element type
     *     safetensors cannot name
     */
    public static ModelTensors of(Block block) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<String, Block> blocks = new LinkedHashMap<>();
        blocks.put("", block);
        blocks.putAll(Modules.named(block));
        for (Map.Entry<String, Block> b : blocks.entrySet()) {
            for (Pair<String, Parameter> p : b.getValue().getDirectParameters()) {
                String name = b.getKey().isEmpty() ? p.getKey() : b.getKey() + "." + p.getKey();
                if (!p.getValue().isInitialized()) {
                    throw new IllegalArgumentException("parameter '" + name + "' has no array (model not loaded)");
                }
                NDArray array = p.getValue().getArray();
                if (!seen.add(array)) {
                    continue;
                }
                DType dtype = dtype(name, array);
                long bytes = array.getShape().size() * dtype.byteSize();
                arrays.put(name, array);
                tensors.put(name, new TensorInfo(name, dtype, array.getShape().getShape(), 0, bytes));
            }
        }
        return new ModelTensors("parameters of " + block.getClass().getSimpleName(),
                Collections.unmodifiableMap(arrays), Collections.unmodifiableMap(new TreeMap<>(tensors)));
    }

    private static DType dtype(String name, NDArray array) {
        return switch (array.getDataType()) {
            case FLOAT64 -> DType.F64;
            case FLOAT32 -> DType.F32;
            case FLOAT16 -> DType.F16;
            case INT64 -> DType.I64;
            case INT32 -> DType.I32;
            case INT8 -> DType.I8;
            case UINT8 -> DType.U8;
            case BOOLEAN -> DType.BOOL;
            default -> throw new IllegalArgumentException("parameter '" + name + "' is " + array.getDataType()
                    + ", which has no safetensors type here");
        };
    }

    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * @param name a tensor's name
     * @return no file holds it: a path standing for the block in memory, for messages
     */
    @Override
    public Path fileOf(String name) {
        return Path.of("(in memory) " + description);
    }

    /**
     * @param name a tensor's name
     * @return a little-endian copy of the parameter's values (from its device to host memory)
     * @throws SafetensorsException naming the tensor when there is none of that name
     */
    @Override
    public ByteBuffer buffer(String name) throws SafetensorsException {
        NDArray array = arrays.get(name);
        if (array == null) {
            throw new SafetensorsException(this + ": missing tensor '" + name + "'");
        }
        // DJL hands out native byte order; the platforms libtorch runs on (x86-64, aarch64) are little-endian
        return array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Frees nothing: the block owns its parameters. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return description;
    }
}
