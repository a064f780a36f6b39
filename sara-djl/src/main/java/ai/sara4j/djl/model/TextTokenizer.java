package ai.sara4j.djl.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokenizer of a model folder ({@code tokenizer.json}), through DJL's Hugging Face tokenizers, offline, never
 * truncating or padding.
 *
 * <p>Special tokens follow transformers: when {@code tokenizer_config.json} sets {@code add_bos_token} /
 * {@code add_eos_token} (LLaMA tokenizers), those flags decide whether BOS/EOS are added, as transformers rebuilds
 * the post-processor from them; otherwise the post-processor of {@code tokenizer.json} applies.
 *
 * <p>The ids of the special tokens ({@link #bosTokenId()}, {@link #eosTokenId()}, {@link #padTokenId()},
 * {@link #unkTokenId()}) are found as transformers finds them: the token named by {@code bos_token} (a string or an
 * AddedToken object with {@code content}) in {@code tokenizer_config.json}, overridden by
 * {@code special_tokens_map.json} only for a legacy config without {@code added_tokens_decoder} (transformers 4.x's
 * {@code _from_pretrained}), converted to its id in {@code tokenizer.json} (a token that is not a single token there
 * gives the unknown token's id, as {@code convert_tokens_to_ids} does). transformers' tokenizer stops there; where
 * the tokenizer files name no such token, this class then takes the model's {@code generation_config.json}, then
 * {@code config.json} ({@code bos_token_id}, {@code eos_token_id}, {@code pad_token_id}; the first of a list), which
 * is what transformers' {@code generate} uses. Tokenizer-class defaults (LlamaTokenizer's {@code <s>}) are not
 * guessed.
 */
public final class TextTokenizer implements AutoCloseable {
    /** The tokenizer of a model folder, in the Hugging Face tokenizers format. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** transformers' tokenizer settings: {@code add_bos_token}/{@code add_eos_token} and the special tokens. */
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
    /** The legacy file of special tokens, read when {@code tokenizer_config.json} has no {@code added_tokens_decoder}. */
    public static final String SPECIAL_TOKENS_FILE = "special_tokens_map.json";
    /** The generation defaults of a model folder, the first fallback for special-token ids. */
    public static final String GENERATION_CONFIG_FILE = "generation_config.json";
    private static final Logger LOG = LoggerFactory.getLogger(TextTokenizer.class);
    private static final List<String> ROLES = List.of("bos", "eos", "pad", "unk");

    private final HuggingFaceTokenizer tokenizer;
    /** Null when tokenizer.json's post-processor decides; otherwise ids to put before/after the text. */
    private final long[] prefix;
    private final long[] suffix;
    /** Role ({@code bos}, {@code eos}, {@code pad}, {@code unk}) → token id, for the roles that have one. */
    private final Map<String, Long> specialIds;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, long[] prefix, long[] suffix, Map<String, Long> specialIds) {
        this.tokenizer = tokenizer;
        this.prefix = prefix;
        this.suffix = suffix;
        this.specialIds = Map.copyOf(specialIds);
    }

    /**
     * Loads {@code tokenizer.json} (and {@code tokenizer_config.json}, {@code special_tokens_map.json},
     * {@code generation_config.json} and {@code config.json} when present) from a model folder.
     *
     * @param folder the model folder
     * @return the tokenizer; close it to free its native handle
     * @throws ModelException when {@code tokenizer.json} is missing or cannot be loaded, a config is not valid JSON,
     *     or {@code add_bos_token}/{@code add_eos_token} is set but its token is absent or not a single token,
     *     naming the file
     */
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
            Map<String, Long> ids = specialIds(tokenizer, folder, config);
            if (config == null || !(config.has("add_bos_token") || config.has("add_eos_token"))) {
                return new TextTokenizer(tokenizer, null, null, ids);
            }
            Path configFile = folder.resolve(TOKENIZER_CONFIG_FILE);
            long[] bos = config.path("add_bos_token").asBoolean(true)
                    ? special(tokenizer, configFile, config, "bos_token") : null;
            long[] eos = config.path("add_eos_token").asBoolean(false)
                    ? special(tokenizer, configFile, config, "eos_token") : null;
            return new TextTokenizer(tokenizer, bos == null ? new long[0] : bos, eos == null ? new long[0] : eos, ids);
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

    /**
     * The special-token ids by role: tokenizer files first (see the class comment), then generation_config.json,
     * then config.json.
     */
    private static Map<String, Long> specialIds(HuggingFaceTokenizer tokenizer, Path folder, JsonNode config)
            throws ModelException {
        Map<String, String> tokens = new HashMap<>();
        for (String role : ROLES) {
            tokenText(config == null ? null : config.get(role + "_token")).ifPresent(t -> tokens.put(role, t));
        }
        if (config == null || !config.has("added_tokens_decoder")) {
            JsonNode legacy = readConfig(folder.resolve(SPECIAL_TOKENS_FILE));
            for (String role : ROLES) {
                tokenText(legacy == null ? null : legacy.get(role + "_token")).ifPresent(t -> tokens.put(role, t));
            }
        }
        Map<String, Long> ids = new HashMap<>();
        Long unk = tokens.containsKey("unk") ? singleId(tokenizer, tokens.get("unk")) : null;
        for (Map.Entry<String, String> e : tokens.entrySet()) {
            Long id = singleId(tokenizer, e.getValue());
            if (id == null) {
                LOG.debug("{}: {}_token '{}' is not one token of {}; its id is the unknown token's", folder,
                        e.getKey(), e.getValue(), TOKENIZER_FILE);
                id = unk;
            }
            if (id != null) {
                ids.put(e.getKey(), id);
            }
        }
        for (String file : List.of(GENERATION_CONFIG_FILE, ModelLoader.CONFIG_FILE)) {
            JsonNode model = readConfig(folder.resolve(file));
            for (String role : ROLES) {
                JsonNode value = model == null ? null : model.get(role + "_token_id");
                JsonNode first = value != null && value.isArray() ? value.get(0) : value;
                if (!ids.containsKey(role) && first != null && first.canConvertToLong()) {
                    ids.put(role, first.asLong());
                }
            }
        }
        return ids;
    }

    /** The text of a special token entry: a string, or an AddedToken object's {@code content}. */
    private static Optional<String> tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        return Optional.ofNullable(node.isTextual() ? node.asText() : node.path("content").asText(null));
    }

    /** The id of {@code token} when it is one token of tokenizer.json, else null. */
    private static Long singleId(HuggingFaceTokenizer tokenizer, String token) {
        long[] ids = tokenizer.encode(token, false, false).getIds();
        return ids.length == 1 ? ids[0] : null;
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

    /**
     * Token ids of {@code text}, with the special tokens transformers would add; never truncated.
     *
     * @param text the text
     * @return the ids, BOS/EOS included where the tokenizer adds them
     */
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

    /**
     * The beginning-of-sequence token's id (see the class comment for where it is read).
     *
     * @return the id, or empty when neither the tokenizer files nor the model's configs name one
     */
    public OptionalLong bosTokenId() {
        return id("bos");
    }

    /**
     * The end-of-sequence token's id, which training appends to every target and generation stops at.
     *
     * @return the id, or empty when neither the tokenizer files nor the model's configs name one
     */
    public OptionalLong eosTokenId() {
        return id("eos");
    }

    /**
     * The padding token's id, as named by the tokenizer files or the model's configs; many causal LMs name none
     * (see {@link #trainingPadId()}).
     *
     * @return the id, or empty when none is named
     */
    public OptionalLong padTokenId() {
        return id("pad");
    }

    /**
     * The unknown token's id.
     *
     * @return the id, or empty when the tokenizer files name no unknown token
     */
    public OptionalLong unkTokenId() {
        return id("unk");
    }

    /**
     * The id to right-pad training batches with: the padding token, else the unknown token (LLM-Adapters'
     * {@code tokenizer.pad_token_id = 0}, LLaMA's {@code <unk>}), else the end-of-sequence token, else 0. Padding
     * never reaches the loss (its label is ignored and its attention mask is 0), so any id is correct; this one
     * follows the reference scripts.
     *
     * @return the padding id for training
     */
    public long trainingPadId() {
        return padTokenId().orElse(unkTokenId().orElse(eosTokenId().orElse(0)));
    }

    private OptionalLong id(String role) {
        Long id = specialIds.get(role);
        return id == null ? OptionalLong.empty() : OptionalLong.of(id);
    }

    /**
     * Text of {@code ids}, special tokens skipped ({@code skip_special_tokens=True}).
     *
     * @param ids token ids
     * @return the decoded text
     */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
