package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.HalfFloats;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.djl.model.CausalLM;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a Hugging Face checkpoint folder with an adapter folded into its weights ({@code ./sara merge}): every
 * {@code *.safetensors} file of the base folder is rewritten with the same tensor names, order, dtypes and metadata,
 * where the weight {@code <module>.weight} of each adapted module becomes W0 + ΔW (summed in float64 from the file's
 * W0, then rounded once to the file's dtype); every other file (config.json, tokenizer files, the shard index) is
 * copied unchanged. The folder is written atomically.
 *
 * <p>For a loaded {@link CausalLM} the checkpoint name of each weight and its storage orientation (GPT-2's Conv1D
 * weights are in×out) come from the model; for other block trees the name is {@code <module>.weight}, stored
 * out×in. Mo-SARA cannot be merged and is refused with the reason.
 *
 * <p>Every merged weight is checked after rounding: a NaN or an infinity (from the adapter, or W0 + ΔW beyond the
 * range of the file's dtype, e.g. 65504 for F16) is an error naming the output file, the tensor and both terms,
 * and nothing is written.
 */
public final class MergedCheckpointWriter {
    private static final Logger LOG = LoggerFactory.getLogger(MergedCheckpointWriter.class);

    private MergedCheckpointWriter() {}

    /**
     * Writes {@code baseFolder} with {@code adapter} merged into {@code out}.
     *
     * @param baseFolder the Hugging Face checkpoint the adapter was loaded onto
     * @param adapter the adapter, injected into the model loaded from {@code baseFolder}
     * @param out the folder to write (replaced atomically)
     * @throws IOException when a file cannot be read or written, a tensor's shape disagrees with the adapter, or a
     *     merged weight is not finite
     */
    public static void write(Path baseFolder, AdaptedModel adapter, Path out) throws IOException {
        // A loaded CausalLM knows each weight's checkpoint name and which are stored transposed (GPT-2's Conv1D);
        // other trees use the module path + ".weight" and out×in storage.
        Map<String, String> names = adapter.model() instanceof CausalLM lm ? lm.checkpointNames() : Map.of();
        Set<String> transposed = adapter.model() instanceof CausalLM lm ? lm.transposedModules() : Set.of();
        Map<String, double[]> deltas = new HashMap<>();
        Map<String, long[]> shapes = new HashMap<>();
        adapter.layers().forEach((module, layer) -> {
            String tensor = names.getOrDefault(module + ".weight", module + ".weight");
            try (NDArray delta = layer.deltaWeight();
                    NDArray stored = transposed.contains(module) ? delta.transpose() : delta.duplicate()) {
                deltas.put(tensor, stored.toType(DataType.FLOAT64, false).toDoubleArray());
                shapes.put(tensor, stored.getShape().getShape());
            }
        });
        List<Path> files;
        try (Stream<Path> list = Files.list(baseFolder)) {
            files = list.filter(Files::isRegularFile).sorted().toList();
        }
        Map<String, double[]> pending = new HashMap<>(deltas);
        AtomicFiles.writeFolder(out, tmp -> {
            for (Path file : files) {
                Path target = tmp.resolve(file.getFileName());
                if (file.getFileName().toString().endsWith(".safetensors")) {
                    rewrite(file, target, out.resolve(file.getFileName()), deltas, shapes, pending);
                } else {
                    Files.copy(file, target);
                }
            }
            if (!pending.isEmpty()) {
                throw new IOException(baseFolder + ": no tensor '" + pending.keySet().iterator().next()
                        + "' for an adapted module (do the adapter's module paths match this checkpoint?)");
            }
        });
        LOG.debug("wrote merged checkpoint {} ({} weights merged)", out, deltas.size()); // callers say where it ends up
    }

    /** Rewrites one safetensors file into {@code target}; {@code shown} is its final path, for messages. */
    private static void rewrite(Path file, Path target, Path shown, Map<String, double[]> deltas,
            Map<String, long[]> shapes, Map<String, double[]> pending) throws IOException {
        try (SafetensorsFile source = SafetensorsFile.open(file)) {
            SafetensorsWriter writer = new SafetensorsWriter();
            source.metadata().forEach(writer::metadata);
            for (TensorInfo info : source.tensors().values()) {
                double[] delta = deltas.get(info.name());
                if (delta == null) {
                    writer.add(info.name(), info.dtype(), info.shape(), source.buffer(info.name()));
                    continue;
                }
                if (!Arrays.equals(info.shape(), shapes.get(info.name()))) {
                    throw new IOException(file + ": tensor '" + info.name() + "' has shape "
                            + Arrays.toString(info.shape()) + ", the adapter's ΔW is "
                            + Arrays.toString(shapes.get(info.name())));
                }
                double[] base = source.readDoubles(info.name());
                writer.add(info.name(), info.dtype(), info.shape(), merge(base, delta, info.dtype(),
                        shown + ": merged weight '" + info.name() + "'"));
                pending.remove(info.name());
            }
            writer.write(target);
        }
    }

    /**
     * W0 + ΔW summed in float64 and rounded once to {@code dtype}; a result that is not finite after rounding is an
     * error naming {@code what}, the element and both terms.
     */
    private static ByteBuffer merge(double[] base, double[] delta, DType dtype, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(base.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < base.length; i++) {
            double v = base[i] + delta[i];
            boolean finite = switch (dtype) {
                case F64 -> {
                    b.putDouble(v);
                    yield Double.isFinite(v);
                }
                case F32 -> {
                    b.putFloat((float) v);
                    yield Float.isFinite((float) v);
                }
                case F16 -> {
                    short h = HalfFloats.floatToHalf((float) v);
                    b.putShort(h);
                    yield Float.isFinite(HalfFloats.halfToFloat(h));
                }
                case BF16 -> {
                    short h = HalfFloats.floatToBf16((float) v);
                    b.putShort(h);
                    yield Float.isFinite(HalfFloats.bf16ToFloat(h));
                }
                default -> throw new IOException(what + " is " + dtype + ", not a floating-point weight");
            };
            if (!finite) {
                throw new IOException(what + ": W0 + ΔW = " + base[i] + " + " + delta[i] + " at element " + i
                        + " is not finite in " + dtype + "; nothing was written");
            }
        }
        return b.flip();
    }
}
