package ai.sara4j.djl.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The shape and hyper-parameters of a decoder-only model, read from a Hugging Face {@code config.json}.
 *
 * @param family architecture ({@code model_type})
 * @param vocabSize rows of the token embedding and of the output head
 * @param hiddenSize width of the residual stream
 * @param numLayers decoder layers
 * @param numHeads query heads
 * @param numKvHeads key/value heads (fewer than {@code numHeads} for grouped-query attention)
 * @param headDim width of one head
 * @param intermediateSize width of the MLP's hidden layer
 * @param normEps epsilon of RMSNorm / LayerNorm
 * @param activation MLP activation
 * @param rope rotary embedding, or null for learned absolute positions (GPT-2)
 * @param maxPositions {@code max_position_embeddings} / {@code n_positions}
 * @param tieWordEmbeddings whether {@code lm_head} shares the token embedding's weight
 * @param attentionBias whether q/k/v/o projections have a bias (LLaMA {@code attention_bias}; always for GPT-2)
 * @param mlpBias whether MLP projections have a bias
 * @param lmHeadBias whether {@code lm_head} has a bias (GPT-J)
 * @param bosTokenId beginning-of-sequence id, or -1
 * @param eosTokenIds end-of-sequence ids (config.json may give one id or a list)
 */
public record ModelConfig(
        ModelFamily family,
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        double normEps,
        Activation activation,
        Rope rope,
        int maxPositions,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean mlpBias,
        boolean lmHeadBias,
        long bosTokenId,
        List<Long> eosTokenIds) {

    /**
     * Copies the end-of-sequence ids into an immutable list; {@link #read} and {@link #parse} also validate the
     * sizes.
     *
     * @param family architecture
     * @param vocabSize rows of the token embedding
     * @param hiddenSize width of the residual stream
     * @param numLayers decoder layers
     * @param numHeads query heads
     * @param numKvHeads key/value heads
     * @param headDim width of one head
     * @param intermediateSize width of the MLP's hidden layer
     * @param normEps epsilon of the norms
     * @param activation MLP activation
     * @param rope rotary embedding, or null
     * @param maxPositions maximum positions
     * @param tieWordEmbeddings whether the head shares the embedding's weight
     * @param attentionBias whether the attention projections have a bias
     * @param mlpBias whether the MLP projections have a bias
     * @param lmHeadBias whether the head has a bias
     * @param bosTokenId beginning-of-sequence id, or -1
     * @param eosTokenIds end-of-sequence ids
     */
    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /**
     * Refuses a sequence longer than the model's positions: GPT-2 has no embedding for them, and LLaMA and GPT-J
     * would run rotary angles they were never trained on and answer garbage without a word.
     *
     * @param tokens the sequence's length (cached and new tokens, or a prompt plus the tokens to generate)
     * @param what the sequence, for the message (e.g. {@code "prompt (30 tokens) plus 64 new tokens"})
     * @throws IllegalArgumentException naming the length, the limit and its config.json key
     */
    public void checkLength(long tokens, String what) {
        if (tokens > maxPositions) {
            throw new IllegalArgumentException(what + ": " + tokens + " tokens exceed the model's " + maxPositions
                    + " positions (" + (family == ModelFamily.LLAMA ? "max_position_embeddings" : "n_positions")
                    + " in config.json)");
        }
    }

    /**
     * Reads a Hugging Face {@code config.json} of a LLaMA, GPT-J or GPT-2 model, with transformers' defaults for
     * absent optional fields.
     *
     * @param configJson the {@code config.json} file
     * @return the validated configuration
     * @throws ModelException when the file is missing, not a JSON object, of an unsupported {@code model_type}, or
     *     has a missing or invalid field (the message names the file and field)
     */
    public static ModelConfig read(Path configJson) throws ModelException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(configJson));
        } catch (NoSuchFileException e) {
            throw new ModelException(configJson + ": no such file");
        } catch (IOException e) {
            throw new ModelException(configJson + ": not valid JSON: " + ModelException.firstLine(e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelException(configJson + ": not a JSON object");
        }
        return parse(root, configJson.toString());
    }

    /**
     * Parses a {@code config.json} tree, as {@link #read} does for a file.
     *
     * @param root the parsed JSON object
     * @param source names the configuration in errors, e.g. its path
     * @return the validated configuration
     * @throws ModelException for an unsupported {@code model_type} or a missing or invalid field
     */
    public static ModelConfig parse(JsonNode root, String source) throws ModelException {
        Fields f = new Fields(root, source);
        String modelType = f.string("model_type", null);
        if (modelType == null) {
            throw new ModelException(source + ": no 'model_type'");
        }
        ModelFamily family = ModelFamily.ofModelType(modelType).orElseThrow(() -> new ModelException(source
                + ": unsupported model_type '" + modelType + "' (supported: llama, gptj, gpt2)"));
        ModelConfig config = switch (family) {
            case LLAMA -> parseLlama(f);
            case GPTJ -> parseGptj(f);
            case GPT2 -> parseGpt2(f);
        };
        config.validate(source);
        return config;
    }

    private static ModelConfig parseLlama(Fields f) throws ModelException {
        int hidden = f.integer("hidden_size", null);
        int heads = f.integer("num_attention_heads", null);
        int headDim = f.integer("head_dim", hidden / Math.max(heads, 1));
        return new ModelConfig(ModelFamily.LLAMA, f.integer("vocab_size", null), hidden,
                f.integer("num_hidden_layers", null), heads, f.integer("num_key_value_heads", heads), headDim,
                f.integer("intermediate_size", null), f.number("rms_norm_eps", 1e-6),
                f.activation("hidden_act", "silu"), f.llamaRope(headDim), f.integer("max_position_embeddings", 2048),
                f.bool("tie_word_embeddings", false), f.bool("attention_bias", false), f.bool("mlp_bias", false),
                false, f.integer("bos_token_id", -1), f.eosIds());
    }

    private static ModelConfig parseGptj(Fields f) throws ModelException {
        int hidden = f.integer("n_embd", null);
        int heads = f.integer("n_head", null);
        int headDim = hidden / Math.max(heads, 1);
        int rotaryDim = f.integer("rotary_dim", headDim);
        return new ModelConfig(ModelFamily.GPTJ, f.integer("vocab_size", null), hidden, f.integer("n_layer", null),
                heads, heads, headDim, f.integer("n_inner", 4 * hidden), f.number("layer_norm_epsilon", 1e-5),
                f.activation("activation_function", "gelu_new"), Rope.plain(10000, rotaryDim, true),
                f.integer("n_positions", 2048), f.bool("tie_word_embeddings", false), false, true, true,
                f.integer("bos_token_id", -1), f.eosIds());
    }

    private static ModelConfig parseGpt2(Fields f) throws ModelException {
        int hidden = f.integer("n_embd", null);
        int heads = f.integer("n_head", null);
        return new ModelConfig(ModelFamily.GPT2, f.integer("vocab_size", null), hidden, f.integer("n_layer", null),
                heads, heads, hidden / Math.max(heads, 1), f.integer("n_inner", 4 * hidden),
                f.number("layer_norm_epsilon", 1e-5), f.activation("activation_function", "gelu_new"), null,
                f.integer("n_positions", 1024), f.bool("tie_word_embeddings", true), true, true, false,
                f.integer("bos_token_id", -1), f.eosIds());
    }

    private void validate(String source) throws ModelException {
        String where = source + ": ";
        if (vocabSize <= 0 || hiddenSize <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0
                || headDim <= 0 || intermediateSize <= 0) {
            throw new ModelException(where + "sizes must be positive: " + this);
        }
        if (numHeads % numKvHeads != 0) {
            throw new ModelException(where + "attention heads (" + numHeads
                    + ") are not a multiple of key/value heads (" + numKvHeads + ")");
        }
        if (family != ModelFamily.LLAMA && hiddenSize % numHeads != 0) {
            throw new ModelException(where + "n_embd " + hiddenSize + " is not divisible by n_head " + numHeads);
        }
        if (rope != null && (rope.rotaryDim() <= 0 || rope.rotaryDim() > headDim || rope.rotaryDim() % 2 != 0)) {
            throw new ModelException(where + "rotary dimension " + rope.rotaryDim()
                    + " must be even and at most the head size " + headDim);
        }
        if (!(normEps > 0)) {
            throw new ModelException(where + "norm epsilon must be positive, got " + normEps);
        }
    }

    /**
     * The number of parameters the architecture has, computed from the sizes (no checkpoint needed).
     *
     * @return the count of every weight and bias, a tied head counted once
     */
    public long parameterCount() {
        long h = hiddenSize;
        long q = (long) numHeads * headDim;
        long kv = (long) numKvHeads * headDim;
        long attention = h * q + 2 * h * kv + q * h + (attentionBias ? q + 2 * kv + h : 0);
        long mlp = switch (family) {
            case LLAMA -> 3 * h * intermediateSize + (mlpBias ? 2L * intermediateSize + h : 0);
            default -> 2 * h * intermediateSize + intermediateSize + h;
        };
        long norms = switch (family) {
            case LLAMA -> 2 * h;
            case GPTJ -> 2 * h;
            case GPT2 -> 4 * h;
        };
        long finalNorm = family == ModelFamily.LLAMA ? h : 2 * h;
        long embeddings = vocabSize * h + (family == ModelFamily.GPT2 ? maxPositions * h : 0);
        long head = (tieWordEmbeddings ? 0 : vocabSize * h) + (lmHeadBias ? vocabSize : 0);
        return embeddings + numLayers * (attention + mlp + norms) + finalNorm + head;
    }

    /** Typed access to config.json fields with errors naming the file and field. */
    private record Fields(JsonNode root, String source) {

        private JsonNode present(String name) {
            JsonNode n = root.get(name);
            return n == null || n.isNull() ? null : n;
        }

        int integer(String name, Integer dflt) throws ModelException {
            JsonNode n = present(name);
            if (n == null) {
                if (dflt == null) {
                    throw new ModelException(source + ": missing '" + name + "'");
                }
                return dflt;
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber()) {
                throw new ModelException(source + ": '" + name + "' must be an integer, got " + n);
            }
            return n.intValue();
        }

        double number(String name, double dflt) throws ModelException {
            JsonNode n = present(name);
            if (n == null) {
                return dflt;
            }
            if (!n.isNumber()) {
                throw new ModelException(source + ": '" + name + "' must be a number, got " + n);
            }
            return n.doubleValue();
        }

        boolean bool(String name, boolean dflt) throws ModelException {
            JsonNode n = present(name);
            if (n == null) {
                return dflt;
            }
            if (!n.isBoolean()) {
                throw new ModelException(source + ": '" + name + "' must be true or false, got " + n);
            }
            return n.booleanValue();
        }

        String string(String name, String dflt) throws ModelException {
            JsonNode n = present(name);
            if (n == null) {
                return dflt;
            }
            if (!n.isTextual()) {
                throw new ModelException(source + ": '" + name + "' must be a string, got " + n);
            }
            return n.textValue();
        }

        Activation activation(String name, String dflt) throws ModelException {
            String value = string(name, dflt);
            return Activation.ofHfName(value).orElseThrow(() -> new ModelException(
                    source + ": unsupported " + name + " '" + value + "'"));
        }

        List<Long> eosIds() throws ModelException {
            JsonNode n = present("eos_token_id");
            List<Long> ids = new ArrayList<>();
            if (n == null) {
                return ids;
            }
            for (JsonNode id : n.isArray() ? n : List.of(n)) {
                if (!id.isIntegralNumber()) {
                    throw new ModelException(source + ": 'eos_token_id' must be an integer or a list of integers");
                }
                ids.add(id.longValue());
            }
            return ids;
        }

        /**
         * Rope of a LLaMA config: transformers 5 writes {@code rope_parameters} (theta and scaling in one object),
         * older versions {@code rope_theta} and {@code rope_scaling}.
         */
        Rope llamaRope(int headDim) throws ModelException {
            JsonNode params = present("rope_parameters");
            String field = params != null ? "rope_parameters" : "rope_scaling";
            JsonNode scaling = params != null ? params : present("rope_scaling");
            double theta = number("rope_theta", 10000);
            if (params != null && params.has("rope_theta")) {
                theta = new Fields(params, source + " " + field).number("rope_theta", theta);
            }
            if (scaling == null) {
                return Rope.plain(theta, headDim, false);
            }
            if (!scaling.isObject()) {
                throw new ModelException(source + ": '" + field + "' must be an object, got " + scaling);
            }
            Fields s = new Fields(scaling, source + " " + field);
            String typeName = s.string("rope_type", s.string("type", "default"));
            Rope.Type type;
            try {
                type = Rope.Type.valueOf(typeName.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ModelException(source + ": unsupported rope type '" + typeName + "' in '" + field
                        + "' (supported: default, linear, llama3)");
            }
            Rope.Scaling sc = switch (type) {
                case DEFAULT -> Rope.Scaling.NONE;
                case LINEAR -> new Rope.Scaling(type, s.number("factor", Double.NaN), 0, 0, 0);
                case LLAMA3 -> new Rope.Scaling(type, s.number("factor", Double.NaN), s.number("low_freq_factor",
                        1), s.number("high_freq_factor", 4), s.integer("original_max_position_embeddings", null));
            };
            if (Double.isNaN(sc.factor())) {
                throw new ModelException(source + ": '" + field + "' of type " + typeName + " has no 'factor'");
            }
            return new Rope(theta, headDim, false, sc);
        }
    }
}
