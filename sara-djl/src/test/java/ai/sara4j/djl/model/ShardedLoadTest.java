package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.TensorInfo;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading sharded F32/F16/BF16 checkpoints written by {@link RandomCheckpoint}: bit-exact, one tensor at a time. */
class ShardedLoadTest {
    /** A small Llama: grouped-query attention, untied head; the embedding (64 x 32) is the largest tensor. */
    private static final ModelConfig CONFIG = new ModelConfig(ModelFamily.LLAMA, 64, 32, 2, 4, 2, 8, 48, 1e-6,
            Activation.SILU, Rope.plain(10000, 8, false), 64, false, false, false, false, 1, List.of(2L),
                ModelConfig.Variations.NONE);

    private static Path write(Path dir, List<DType> dtypes) throws Exception {
        int shards = RandomCheckpoint.of(CONFIG).shardDTypes(dtypes).maxShardBytes(4 << 10).seed(7).write(dir);
        assertTrue(shards >= 6, "too few shards to mix dtypes: " + shards);
        assertTrue(Files.exists(dir.resolve(Checkpoint.INDEX_FILE)));
        return dir;
    }

    /**
     * Every weight of a checkpoint whose shards alternate F32, F16 and BF16 loads into float32 bit-exactly: F32 as
     * stored, BF16 as its bits shifted into the top of a float32 (by hand), F16 as libtorch widens it.
     */
    @Test
    void mixedShardsLoadBitExact(@TempDir Path dir) throws Exception {
        write(dir, List.of(DType.F32, DType.F16, DType.BF16));
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                Checkpoint checkpoint = Checkpoint.open(dir)) {
            CausalLM model = ModelLoader.load(dir, manager, DataType.FLOAT32);
            assertEquals(CONFIG, model.config());
            Set<DType> seen = EnumSet.noneOf(DType.class);
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                TensorInfo info = checkpoint.info(e.getKey());
                seen.add(info.dtype());
                float[] got = e.getValue().getArray().toFloatArray();
                float[] want = reference(manager, info, checkpoint.buffer(e.getKey()));
                assertEquals(want.length, got.length, e.getKey());
                for (int i = 0; i < got.length; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                        throw new AssertionError(e.getKey() + " (" + info.dtype() + ") element " + i + ": "
                                + got[i] + " != " + want[i]);
                    }
                }
            }
            assertEquals(EnumSet.of(DType.F32, DType.F16, DType.BF16), seen);
        }
    }

    private static float[] reference(NDManager manager, TensorInfo info, ByteBuffer raw) {
        float[] out = new float[Math.toIntExact(info.numel())];
        switch (info.dtype()) {
            case F32 -> raw.asFloatBuffer().get(out);
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((raw.getShort(2 * i) & 0xffff) << 16);
                }
            }
            case F16 -> {
                try (NDManager scope = manager.newSubManager();
                        NDArray half = scope.create(raw, new Shape(info.shape()), DataType.FLOAT16)) {
                    out = half.toType(DataType.FLOAT32, false).toFloatArray();
                }
            }
            default -> throw new AssertionError(info.dtype());
        }
        return out;
    }

    /**
     * Converting BF16 and F16 shards takes no buffer beyond the load's one, however many tensors are converted:
     * loading the mixed checkpoint leaves at most one more direct buffer (of at most the largest tensor in float32)
     * than loading the same shapes stored as F32, where nothing is converted (what the engine itself allocates
     * cancels out), and neither load maps the checkpoint. Fresh buffers per tensor would leave one per converted
     * tensor until a garbage collection; a window in which the collector ran is measured again.
     */
    @Test
    void conversionsShareOneBuffer(@TempDir Path dir) throws Exception {
        Path f32 = write(dir.resolve("f32"), List.of(DType.F32));
        Path mixed = write(dir.resolve("mixed"), List.of(DType.F16, DType.BF16));
        long largest = 64 * 32 * Float.BYTES;
        for (int attempt = 0; ; attempt++) {
            long[] plain = directBuffersAddedByLoading(f32);
            long[] converted = directBuffersAddedByLoading(mixed);
            if (plain == null || converted == null) {
                assertTrue(attempt < 5, "a garbage collection ran during every measurement");
                continue;
            }
            assertTrue(converted[0] - plain[0] <= 1, "direct buffers left by conversions: "
                    + (converted[0] - plain[0]));
            assertTrue(converted[1] - plain[1] <= largest, "direct bytes left by conversions: "
                    + (converted[1] - plain[1]));
            return;
        }
    }

    /**
     * {count, bytes} of direct buffers added by one load, or null when a garbage collection ran meanwhile; checks
     * that the load mapped none of the checkpoint (it reads each tensor into its one buffer instead).
     */
    private static long[] directBuffersAddedByLoading(Path folder) throws Exception {
        BufferPoolMXBean direct = pool("direct");
        BufferPoolMXBean mapped = pool("mapped");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            long collections = collections();
            long count = direct.getCount();
            long bytes = direct.getTotalCapacity();
            long maps = mapped.getCount();
            ModelLoader.load(folder, manager, DataType.FLOAT32);
            long[] added = {direct.getCount() - count, direct.getTotalCapacity() - bytes};
            if (collections() != collections) {
                return null;
            }
            assertEquals(maps, mapped.getCount(), "memory maps made by loading " + folder);
            return added;
        }
    }

    private static BufferPoolMXBean pool(String name) {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals(name)).findFirst().orElseThrow();
    }

    private static long collections() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }
}
