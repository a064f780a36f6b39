package ai.sara4j.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The weights of a Hugging Face checkpoint folder: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json}. A tensor named by the index but absent from its shard is an error naming
 * both.
 */
public final class Checkpoint implements TensorSource {
    /** The weights file of an unsharded checkpoint folder (Hugging Face's {@code SAFE_WEIGHTS_NAME}). */
    public static final String SINGLE_FILE = "model.safetensors";
    /**
     * The index of a sharded checkpoint folder (Hugging Face's {@code SAFE_WEIGHTS_INDEX_NAME}); its
     * {@code weight_map} names the shard file of every tensor.
     */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path location;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> byName;
    private final Map<String, TensorInfo> tensors;

    private Checkpoint(Path location, List<SafetensorsFile> shards, Map<String, SafetensorsFile> byName) {
        this.location = location;
        this.shards = shards;
        this.byName = byName;
        Map<String, TensorInfo> all = new LinkedHashMap<>();
        byName.forEach((n, f) -> all.put(n, f.tensors().get(n)));
        this.tensors = Collections.unmodifiableMap(all);
    }

    /**
     * Opens a checkpoint folder, or a single {@code .safetensors} file. A folder with an {@value #INDEX_FILE} is
     * read as shards (the index wins over a {@value #SINGLE_FILE} beside it); each shard is memory-mapped once.
     *
     * @param location a checkpoint folder or a {@code .safetensors} file
     * @return the open checkpoint; close it to unmap the files
     * @throws SafetensorsException when the location is missing, holds neither file, the index is not valid JSON
     *     or names a shard outside the folder, a shard is not valid safetensors, or a tensor the index places in a
     *     shard is absent from it
     */
    public static Checkpoint open(Path location) throws SafetensorsException {
        if (!Files.exists(location)) {
            throw new SafetensorsException(location + ": no such file or folder");
        }
        if (!Files.isDirectory(location)) {
            return single(location, SafetensorsFile.open(location));
        }
        Path index = location.resolve(INDEX_FILE);
        Path single = location.resolve(SINGLE_FILE);
        if (Files.exists(index)) {
            return sharded(location, index);
        }
        if (Files.exists(single)) {
            return single(location, SafetensorsFile.open(single));
        }
        throw new SafetensorsException(location + ": no " + SINGLE_FILE + " or " + INDEX_FILE + " in folder");
    }

    private static Checkpoint single(Path location, SafetensorsFile file) {
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        file.tensors().keySet().forEach(n -> byName.put(n, file));
        return new Checkpoint(location, List.of(file), byName);
    }

    private static Checkpoint sharded(Path folder, Path index) throws SafetensorsException {
        JsonNode weightMap;
        try {
            JsonNode root = new ObjectMapper().readTree(index.toFile());
            weightMap = root == null ? null : root.get("weight_map");
        } catch (IOException e) {
            throw new SafetensorsException(index + ": not valid JSON: " + SafetensorsException.reason(e), e);
        }
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsException(index + ": no 'weight_map' object");
        }
        Map<String, String> nameToShard = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(index + ": weight_map entry of '" + e.getKey()
                        + "' is not a file name: " + e.getValue());
            }
            nameToShard.put(e.getKey(), e.getValue().asText());
        }
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            for (String shard : new TreeSet<>(nameToShard.values())) {
                Path p = folder.resolve(shard).normalize();
                if (!p.startsWith(folder.normalize())) {
                    throw new SafetensorsException(index + ": shard '" + shard + "' lies outside the folder");
                }
                SafetensorsFile f = SafetensorsFile.open(p);
                shards.add(f);
                files.put(shard, f);
            }
            Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : nameToShard.entrySet()) {
                SafetensorsFile f = files.get(e.getValue());
                if (!f.tensors().containsKey(e.getKey())) {
                    throw new SafetensorsException(f.path() + ": missing tensor '" + e.getKey()
                            + "' that " + index.getFileName() + " places in this shard");
                }
                byName.put(e.getKey(), f);
            }
            return new Checkpoint(folder, shards, byName);
        } catch (SafetensorsException | RuntimeException e) {
            for (SafetensorsFile f : shards) {
                try {
                    f.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw e;
        }
    }

    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public Path fileOf(String name) throws SafetensorsException {
        return shardOf(name).path();
    }

    @Override
    public ByteBuffer buffer(String name) throws SafetensorsException {
        return shardOf(name).buffer(name);
    }

    @Override
    public ByteBuffer read(String name, ByteBuffer scratch) throws SafetensorsException {
        return shardOf(name).read(name, scratch);
    }

    private SafetensorsFile shardOf(String name) throws SafetensorsException {
        SafetensorsFile f = byName.get(name);
        if (f == null) {
            throw new SafetensorsException(location + ": missing tensor '" + name + "'");
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : shards) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return location.toString();
    }
}
