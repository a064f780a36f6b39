package ai.sara4j.djl.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The tokenizer of a model folder ({@code tokenizer.json}), through DJL's Hugging Face tokenizers, offline, never
 * truncating or padding.
 *
 * <p>Special tokens follow transformers: when {@code tokenizer_config.json} sets {@code add_bos_token} /
 * {@code add_eos_token} (LLaMA tokenizers), those flags decide whether BOS/EOS are added, as transformers rebuilds
 * the post-processor from them; otherwise the post-processor of {@code tokenizer.json} applies.
 */
public final class TextTokenizer implements AutoCloseable {
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

    private final HuggingFaceTokenizer tokenizer;
    /** Null when tokenizer.json's post-processor decides; otherwise ids to put before/after the text. */
    private final long[] prefix;
    private final long[] suffix;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, long[] prefix, long[] suffix) {
        this.tokenizer = tokenizer;
        this.prefix = prefix;
        this.suffix = suffix;
    }

    /** Loads {@code tokenizer.json} (and {@code tokenizer_config.json} when present) from a model folder. */
    public static TextTokenizer load(Path folder) throws ModelException {
        Path file = folder.resolve(TOKENIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ModelException(file + ": no such file");
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file,
                    Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelException(file + ": cannot load tokenizer: " + ModelException.firstLine(e.getMessage()), e);
        }
        try {
            JsonNode config = readConfig(folder.resolve(TOKENIZER_CONFIG_FILE));
            if (config == null || !(config.has("add_bos_token") || config.has("add_eos_token"))) {
                return new TextTokenizer(tokenizer, null, null);
            }
            Path configFile = folder.resolve(TOKENIZER_CONFIG_FILE);
            long[] bos = config.path("add_bos_token").asBoolean(true)
                    ? special(tokenizer, configFile, config, "bos_token") : null;
            long[] eos = config.path("add_eos_token").asBoolean(false)
                    ? special(tokenizer, configFile, config, "eos_token") : null;
            return new TextTokenizer(tokenizer, bos == null ? new long[0] : bos, eos == null ? new long[0] : eos);
        } catch (ModelException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private static JsonNode readConfig(Path file) throws ModelException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelException(file + ": not valid JSON: " + ModelException.firstLine(e.getMessage()), e);
        }
    }

    /** The id of a special token named in tokenizer_config.json (a string or an AddedToken object). */
    private static long[] special(HuggingFaceTokenizer tokenizer, Path configFile, JsonNode config, String field)
            throws ModelException {
        JsonNode node = config.get(field);
        String token = node == null ? null : node.isTextual() ? node.asText() : node.path("content").asText(null);
        if (token == null) {
            throw new ModelException(configFile + ": add_" + field + " is set but '" + field
                    + "' is not");
        }
        long[] ids = tokenizer.encode(token, false, false).getIds();
        if (ids.length != 1) {
            throw new ModelException(configFile + ": " + field + " '" + token
                    + "' is not a single token of " + TOKENIZER_FILE);
        }
        return ids;
    }

    /** Token ids of {@code text}, with the special tokens transformers would add; never truncated. */
    public long[] encode(String text) {
        if (prefix == null) {
            return tokenizer.encode(text, true, false).getIds();
        }
        long[] body = tokenizer.encode(text, false, false).getIds();
        long[] out = new long[prefix.length + body.length + suffix.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(body, 0, out, prefix.length, body.length);
        System.arraycopy(suffix, 0, out, prefix.length + body.length, suffix.length);
        return out;
    }

    /** Text of {@code ids}, special tokens skipped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
