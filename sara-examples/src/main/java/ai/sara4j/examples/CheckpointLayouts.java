package ai.sara4j.examples;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** Which weights a checkpoint stores as in × out (GPT-2's Conv1D) rather than PyTorch's out × in. */
final class CheckpointLayouts {
    private static final Pattern GPT2_CONV1D = Pattern.compile(".*\\.(c_attn|c_proj|c_fc)$");

    private CheckpointLayouts() {}

    /** A predicate over module names, from {@code config.json}'s {@code model_type} (none stored so when absent). */
    static Predicate<String> storedInByOut(Path modelDir) throws IOException {
        Path config = modelDir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return module -> false;
        }
        JsonNode type;
        try {
            type = Json.MAPPER.readTree(config.toFile()).get("model_type");
        } catch (IOException e) {
            throw new IOException(config + ": not valid JSON: " + e.getMessage(), e);
        }
        if (type != null && type.asText().equals("gpt2")) {
            return module -> GPT2_CONV1D.matcher(module).matches();
        }
        return module -> false;
    }
}
