package ai.sara4j.djl.train;

import ai.sara4j.djl.train.data.TrainingExample;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Identities of what a training run depends on, for the fingerprint a run folder keeps ({@code RUN/run.json}) so
 * that {@code resume} cannot mix runs: a file's SHA-256, a model folder's identity, a JSON document flattened into
 * named settings.
 */
public final class RunFingerprint {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunFingerprint() {}

    /**
     * The SHA-256 of a file's bytes.
     *
     * @param file the file
     * @return lower-case hex
     * @throws IOException when it cannot be read
     */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * A Hugging Face model folder's identity without reading its weights: the SHA-256 over {@code config.json}, and
     * for every {@code *.safetensors} file (sorted by name) its name, size and header (tensor names, shapes, dtypes
     * and offsets).
     *
     * @param folder the model folder
     * @return lower-case hex
     * @throws IOException when a file cannot be read
     */
    public static String modelFolder(Path folder) throws IOException {
        MessageDigest digest = newDigest();
        Path config = folder.resolve("config.json");
        if (Files.isRegularFile(config)) {
            digest.update(Files.readAllBytes(config));
        }
        List<Path> weights;
        try (Stream<Path> list = Files.list(folder)) {
            weights = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        for (Path file : weights) {
            digest.update(file.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = channel.size();
                digest.update(ByteBuffer.allocate(8).putLong(0, size));
                if (size >= 8) {
                    ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                    channel.read(length, 0);
                    long header = Math.min(length.getLong(0), Math.min(size - 8, 100L << 20));
                    ByteBuffer bytes = ByteBuffer.allocate((int) Math.max(0, header));
                    channel.read(bytes, 8);
                    digest.update(bytes.flip());
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Adds a JSON object's leaves to {@code out} as {@code prefix.field} (nested objects as {@code
     * prefix.field.inner}; arrays and other values as their JSON text), so a difference is named by its field.
     *
     * @param prefix the name before the fields
     * @param json a JSON object
     * @param out where to put the settings
     * @throws IOException when {@code json} is not JSON
     */
    public static void flattenJson(String prefix, String json, Map<String, String> out) throws IOException {
        flatten(prefix, JSON.readTree(json), out);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            out.put(prefix, node.isTextual() ? node.asText() : node.toString());
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            flatten(prefix + "." + e.getKey(), e.getValue(), out);
        }
    }

    /** The SHA-256 over tokenized examples' ids and labels, in order (lengths included). */
    static String examples(List<TrainingExample> examples) {
        MessageDigest digest = newDigest();
        byte[] bytes = new byte[8];
        ByteBuffer number = ByteBuffer.wrap(bytes);
        for (TrainingExample e : examples) {
            digest.update(number.putLong(0, e.length()).array());
            for (int i = 0; i < e.length(); i++) {
                digest.update(number.putLong(0, e.inputIds()[i]).array());
                digest.update(number.putLong(0, e.labels()[i]).array());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
