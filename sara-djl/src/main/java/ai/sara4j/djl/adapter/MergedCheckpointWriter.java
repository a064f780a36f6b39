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
 */
public final class MergedCheckpointWriter {
    private static final Logger LOG = LoggerFactory.getLogger(MergedCheckpointWriter.class);

    private MergedCheckpointWriter() {}

    /** Writes {@code baseFolder} with {@code adapter} merged into {@code out}. */
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
                    rewrite(file, target, deltas, shapes, pending);
                } else {
                    Files.copy(file, target);
                }
            }
            if (!pending.isEmpty()) {
                throw new IOException(baseFolder + ": no tensor '" + pending.keySet().iterator().next()
                        + "' for an adapted module (do the adapter's module paths match this checkpoint?)");
            }
        });
        LOG.info("wrote merged checkpoint {} ({} weights merged)", out, deltas.size());
    }

    private static void rewrite(Path file, Path target, Map<String, double[]> deltas, Map<String, long[]> shapes,
            Map<String, double[]> pending) throws IOException {
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
                double[] merged = source.readDoubles(info.name());
                for (int i = 0; i < merged.length; i++) {
                    merged[i] += delta[i];
                }
                writer.add(info.name(), info.dtype(), info.shape(), encode(merged, info.dtype(), file, info.name()));
                pending.remove(info.name());
            }
            writer.write(target);
        }
    }

    private static ByteBuffer encode(double[] values, DType dtype, Path file, String name) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            switch (dtype) {
                case F64 -> b.putDouble(v);
                case F32 -> b.putFloat((float) v);
                case F16 -> b.putShort(HalfFloats.floatToHalf((float) v));
                case BF16 -> b.putShort(HalfFloats.floatToBf16((float) v));
                default -> throw new IOException(file + ": tensor '" + name + "' is " + dtype
                        + ", not a floating-point weight");
            }
        }
        return b.flip();
    }
}
