package ai.sara4j.core.rank;

import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.safetensors.TensorSource;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** A checkpoint with F32 tensor headers only: reading any weight fails, so plans provably use shapes alone. */
final class HeaderOnlySource implements TensorSource {
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    private long offset;

    HeaderOnlySource add(String name, long... shape) {
        long numel = 1;
        for (long d : shape) {
            numel *= d;
        }
        tensors.put(name, new TensorInfo(name, DType.F32, shape, offset, offset + 4 * numel));
        offset += 4 * numel;
        return this;
    }

    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Path fileOf(String name) {
        return Path.of("header-only");
    }

    @Override
    public ByteBuffer buffer(String name) {
        throw new AssertionError("weights read: " + name);
    }

    @Override
    public void close() {}

    @Override
    public String toString() {
        return "header-only";
    }
}
