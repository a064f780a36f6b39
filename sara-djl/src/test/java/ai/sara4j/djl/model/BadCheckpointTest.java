package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.testing.RawTensors;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken checkpoints, made from the good LLaMA fixture, fail with one line naming the file and the problem. */
class BadCheckpointTest {
    private static final String WEIGHTS = "model.safetensors";

    @TempDir
    Path dir;

    private Path copyOfGood() throws IOException {
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        for (String f : new String[] {"config.json", WEIGHTS}) {
            Files.copy(Fixtures.model("llama-gqa").resolve(f), model.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        return model;
    }

    private static String failure(Path folder) {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelException e = assertThrows(ModelException.class, () -> ModelLoader.load(folder, manager));
            assertFalse(e.getMessage().contains("\n"), "not one line: " + e.getMessage());
            return e.getMessage();
        }
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
    }

    @Test
    void truncatedFile() throws IOException {
        Path model = copyOfGood();
        try (RandomAccessFile f = new RandomAccessFile(model.resolve(WEIGHTS).toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertMentions(failure(model), model.resolve(WEIGHTS).toString(), "truncated");
    }

    @Test
    void badHeader() throws IOException {
        Path model = copyOfGood();
        try (RandomAccessFile f = new RandomAccessFile(model.resolve(WEIGHTS).toFile(), "rw")) {
            f.seek(8);
            f.write("not json".getBytes());
        }
        assertMentions(failure(model), model.resolve(WEIGHTS).toString(), "not valid JSON");
    }

    @Test
    void missingTensor() throws IOException {
        Path model = copyOfGood();
        rewrite(model.resolve(WEIGHTS), name -> !name.equals("model.layers.1.mlp.up_proj.weight"), DType.F32);
        assertMentions(failure(model), model.toString(), "missing tensor 'model.layers.1.mlp.up_proj.weight'",
                "[96, 48]");
    }

    @Test
    void shapeDisagreeingWithConfig() throws IOException {
        Path model = copyOfGood();
        Path config = model.resolve("config.json");
        Files.writeString(config,
                Files.readString(config).replace("\"intermediate_size\": 96", "\"intermediate_size\": 80"));
        assertMentions(failure(model), model.resolve(WEIGHTS).toString(), "model.layers.0.mlp.gate_proj.weight",
                "[96, 48]", "implies [80, 48]");
    }

    @Test
    void badJsonInConfig() throws IOException {
        Path model = copyOfGood();
        Files.writeString(model.resolve("config.json"), "{\"model_type\": \"llama\", ");
        assertMentions(failure(model), model.resolve("config.json").toString(), "not valid JSON");
    }

    @Test
    void unknownModelType() throws IOException {
        Path model = copyOfGood();
        Path config = model.resolve("config.json");
        Files.writeString(config,
                Files.readString(config).replace("\"model_type\": \"llama\"", "\"model_type\": \"mamba\""));
        assertMentions(failure(model), config.toString(), "unsupported model_type 'mamba'");
    }

    @Test
    void missingFolderAndMissingFiles() throws IOException {
        assertMentions(failure(dir.resolve("nowhere")), dir.resolve("nowhere").toString(), "no such model folder");
        Path model = copyOfGood();
        Files.delete(model.resolve(WEIGHTS));
        assertMentions(failure(model), model.toString(), "no model.safetensors");
        Files.delete(model.resolve("config.json"));
        assertMentions(failure(model), model.resolve("config.json").toString(), "no such file");
    }

    /** A NaN or an infinity in a weight is an error naming the file and tensor, converted (F16) or not (F32). */
    @Test
    void nonFiniteWeightIsRefused() throws IOException {
        Path model = copyOfGood();
        RawTensors.set(model.resolve(WEIGHTS), "model.layers.1.mlp.up_proj.weight", 7, Float.NaN);
        assertMentions(failure(model), model.resolve(WEIGHTS).toString(), "tensor 'model.layers.1.mlp.up_proj.weight'",
                "non-finite value NaN at element 7");
        RawTensors.set(model.resolve(WEIGHTS), "model.layers.1.mlp.up_proj.weight", 7, 1);
        RawTensors.set(model.resolve(WEIGHTS), "model.norm.weight", 0, Float.NEGATIVE_INFINITY);
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelException e = assertThrows(ModelException.class,
                    () -> ModelLoader.load(model, manager, DataType.FLOAT16));
            assertMentions(e.getMessage(), "tensor 'model.norm.weight'", "non-finite value -Infinity at element 0");
        }
    }

    @Test
    void bf16CheckpointIsWidenedInJavaAndF16IsNarrowed() throws IOException {
        Path model = copyOfGood();
        rewrite(model.resolve(WEIGHTS), name -> true, DType.BF16);
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsFile good = SafetensorsFile.open(Fixtures.model("llama-gqa").resolve(WEIGHTS))) {
            CausalLM fromBf16 = ModelLoader.load(model, manager);
            float[] want = good.readFloats("model.layers.0.self_attn.q_proj.weight");
            for (int i = 0; i < want.length; i++) {
                want[i] = Float.intBitsToFloat(Float.floatToRawIntBits(want[i]) & 0xffff0000); // truncated to bf16
            }
            assertArrayEquals(want, fromBf16.namedParameters().get("model.layers.0.self_attn.q_proj.weight")
                    .getArray().toFloatArray());

            CausalLM half = ModelLoader.load(Fixtures.model("llama-gqa"), manager, DataType.FLOAT16);
            NDArray q = half.namedParameters().get("model.layers.0.self_attn.q_proj.weight").getArray();
            assertEquals(DataType.FLOAT16, q.getDataType());
            float[] exact = good.readFloats("model.layers.0.self_attn.q_proj.weight");
            float[] narrowed = q.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < exact.length; i++) {
                assertEquals(exact[i], narrowed[i], Math.abs(exact[i]) / 1024 + 1e-7);
            }
        }
    }

    /** Rewrites a checkpoint keeping the tensors {@code keep} accepts, stored as {@code dtype} (F32 or BF16). */
    private static void rewrite(Path file, Predicate<String> keep, DType dtype) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile src = SafetensorsFile.open(file)) {
            for (Map.Entry<String, TensorInfo> e : src.tensors().entrySet()) {
                if (!keep.test(e.getKey())) {
                    continue;
                }
                float[] values = src.readFloats(e.getKey());
                ByteBuffer data = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : values) {
                    if (dtype == DType.BF16) {
                        data.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                    } else {
                        data.putFloat(v);
                    }
                }
                writer.add(e.getKey(), dtype, e.getValue().shape(), data.flip());
            }
        }
        writer.write(file);
    }
}
