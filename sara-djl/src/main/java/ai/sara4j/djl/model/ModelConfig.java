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
import java.util.function.IntPredicate;

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
 * @param variations the family's numeric variations of the shared decoder (sliding windows, soft-capping, …)
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
        List<Long> eosTokenIds,
        Variations variations) {

    /**
     * What some families change in the shared decoder's arithmetic, as their {@code config.json} sets it. Where
     * modules sit (norm placement, fused projections, q/k norms) follows from the {@link ModelFamily} alone; these
     * are the values.
     *
     * @param slidingWindow keys a query sees in a sliding-window layer: itself and the {@code slidingWindow − 1}
     *     before it (transformers' {@code kv_idx > q_idx − sliding_window}); 0 for none
     * @param slidingLayers per layer, whether it uses the window ({@code layer_types} "sliding_attention"); empty
     *     when {@code slidingWindow} is 0
     * @param queryPreAttnScalar Gemma 2's {@code query_pre_attn_scalar}: scores are scaled by its inverse square
     *     root instead of the head size's; 0 for the head size
     * @param attentionSoftcap Gemma 2's {@code attn_logit_softcapping}: scores become {@code c·tanh(s/c)} before the
     *     mask; 0 for none
     * @param finalSoftcap Gemma 2's {@code final_logit_softcapping}, the same on the logits; 0 for none
     * @param embeddingScale multiplies the token embeddings (Gemma: √hidden, in the weights' dtype); 1 for none
     * @param parallelResidual GPT-NeoX's {@code use_parallel_residual}: attention and MLP read the same input,
     *     each through its own norm
     */
    public record Variations(int slidingWindow, List<Boolean> slidingLayers, double queryPreAttnScalar,
            double attentionSoftcap, double finalSoftcap, double embeddingScale, boolean parallelResidual) {
        /** The plain decoder: no window, the head size's scaling, no soft-capping, unscaled embeddings. */
        public static final Variations NONE = new Variations(0, List.of(), 0, 0, 0, 1, false);

        /**
         * Copies the layer list into an immutable one.
         *
         * @param slidingWindow keys a query sees in a sliding-window layer, or 0
         * @param slidingLayers per layer, whether it slides
         * @param queryPreAttnScalar the score scaling's square, or 0 for the head size
         * @param attentionSoftcap the attention soft-cap, or 0
         * @param finalSoftcap the logit soft-cap, or 0
         * @param embeddingScale the embeddings' multiplier
         * @param parallelResidual whether attention and MLP run in parallel
         */
        public Variations {
            slidingLayers = List.copyOf(slidingLayers);
        }
    }

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
     * @param variations the family's variations of the decoder, {@link Variations#NONE} for none
     */
    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /**
     * The sliding window of one layer.
     *
     * @param layer the layer's index
     * @return the keys a query of that layer sees (itself included), or 0 for full causal attention
     */
    public int slidingWindow(int layer) {
        return variations.slidingWindow() > 0 && variations.slidingLayers().get(layer) ? variations.slidingWindow()
                : 0;
    }

    /**
     * The factor of the attention scores q·kᵀ.
     *
     * @return 1/√{@code headDim}, or 1/√{@code query_pre_attn_scalar} where the family sets it
     */
    public double attentionScale() {
        double d = variations.queryPreAttnScalar() > 0 ? variations.queryPreAttnScalar() : headDim;
        return 1 / Math.sqrt(d);
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
                    + " positions (" + (family == ModelFamily.GPT2 || family == ModelFamily.GPTJ ? "n_positions"
                    : "max_position_embeddings") + " in config.json)");
        }
    }

    /**
     * Reads a Hugging Face {@code config.json} of a supported family ({@link ModelFamily}), with transformers'
     * defaults for absent optional fields.
     *
     * @param configJson the {@code config.json} file
     * @return the validated configuration
     * @throws ModelException when the file is missing, not a JSON object, of an unsupported {@code model_type}, or
     *     has a missing or invalid field or a value that changes the math and is not implemented (the message names
     *     the file and field)
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
     * @throws ModelException for an unsupported {@code model_type}, a missing or invalid field, or a value that
     *     changes the math and is not implemented
     */
    public static ModelConfig parse(JsonNode root, String source) throws ModelException {
        Fields f = new Fields(root, source);
        String modelType = f.string("model_type", null);
        if (modelType == null) {
            throw new ModelException(source + ": no 'model_type'");
        }
        ModelFamily family = ModelFamily.ofModelType(modelType).orElseThrow(() -> new ModelException(source
                + ": unsupported model_type '" + modelType + "' (supported: " + ModelFamily.supportedTypes() + ")"));
        ModelConfig config = switch (family) {
            case LLAMA -> llamaLike(family, f, new Defaults(1e-6, "hidden_act", "silu", 2048, false, null, true));
            case MISTRAL -> llamaLike(family, f, new Defaults(1e-6, "hidden_act", "silu", 131072, false, null, false));
            case QWEN2, QWEN3 -> llamaLike(family, f, new Defaults(1e-6, "hidden_act", "silu", 32768, false,
                    family == ModelFamily.QWEN3 ? 128 : null, false));
            case GEMMA -> llamaLike(family, f, new Defaults(1e-6, "hidden_act", "gelu_pytorch_tanh", 8192, true, 256,
                    false));
            case GEMMA2 -> llamaLike(family, f, new Defaults(1e-6, "hidden_activation", "gelu_pytorch_tanh", 8192,
                    true, 256, false));
            case PHI3 -> llamaLike(family, f, new Defaults(1e-5, "hidden_act", "silu", 4096, false, null, false));
            case OLMO2 -> llamaLike(family, f, new Defaults(1e-5, "hidden_act", "silu", 2048, false, null, false));
            case GPT_NEOX -> parseGptNeox(f);
            case GPTJ -> parseGptj(f);
            case GPT2 -> parseGpt2(f);
        };
        config.validate(source);
        return config;
    }

    /**
     * transformers' defaults of a LLaMA-shaped family for fields its {@code config.json} may leave out.
     *
     * @param headDim the {@code head_dim} default, or null for hidden / heads
     * @param mlpBias whether the family reads {@code mlp_bias} (LLaMA) rather than having none
     */
    private record Defaults(double normEps, String activationKey, String activation, int maxPositions,
            boolean tieWordEmbeddings, Integer headDim, boolean mlpBias) {}

    /**
     * LLaMA and the families written on its pattern (RMSNorm, rotary embeddings, gated MLP): the shared fields, then
     * what each family adds.
     */
    private static ModelConfig llamaLike(ModelFamily family, Fields f, Defaults d) throws ModelException {
        int hidden = f.integer("hidden_size", null);
        int heads = f.integer("num_attention_heads", null);
        int layers = f.integer("num_hidden_layers", null);
        int headDim = f.integer("head_dim", d.headDim() != null ? d.headDim() : hidden / Math.max(heads, 1));
        boolean partialRotary = family == ModelFamily.PHI3;
        if ((family == ModelFamily.GEMMA || family == ModelFamily.GEMMA2)
                && f.bool("use_bidirectional_attention", false)) {
            throw new ModelException(f.source() + ": use_bidirectional_attention true (an encoder, not a causal LM) is"
                    + " not implemented");
        }
        // Qwen2 has no attention_bias field: q, k and v always carry a bias (o_proj none)
        boolean attentionBias = family == ModelFamily.QWEN2 || (family != ModelFamily.MISTRAL
                && family != ModelFamily.PHI3 && f.bool("attention_bias", false));
        Variations variations = switch (family) {
            case MISTRAL, PHI3 -> {
                int window = f.nullableInteger("sliding_window", family == ModelFamily.MISTRAL ? 4096 : 0);
                yield slidingOnly(window, f.layerTypes(layers, window > 0 ? i -> true : i -> false));
            }
            case QWEN2, QWEN3 -> {
                int window = f.bool("use_sliding_window", false) ? f.nullableInteger("sliding_window", 0) : 0;
                int full = f.integer("max_window_layers", 28);
                yield slidingOnly(window, f.layerTypes(layers, i -> window > 0 && i >= full));
            }
            case GEMMA -> new Variations(0, List.of(), 0, 0, 0, Math.sqrt(hidden), false);
            case GEMMA2 -> {
                int window = f.nullableInteger("sliding_window", 4096);
                yield new Variations(window, f.layerTypes(layers, i -> (i + 1) % 2 == 1),
                        f.integer("query_pre_attn_scalar", 256), f.nullableNumber("attn_logit_softcapping", 50),
                        f.nullableNumber("final_logit_softcapping", 30), Math.sqrt(hidden), false);
            }
            default -> Variations.NONE;
        };
        return new ModelConfig(family, f.integer("vocab_size", null), hidden, layers, heads,
                f.integer("num_key_value_heads", heads), headDim, f.integer("intermediate_size", null),
                f.number("rms_norm_eps", d.normEps()), f.activation(d.activationKey(), d.activation()),
                f.rope(headDim, partialRotary ? 1.0 : Double.NaN, f.number("rope_theta", 10000)), f.integer("max_position_embeddings",
                d.maxPositions()), f.bool("tie_word_embeddings", d.tieWordEmbeddings()), attentionBias,
                d.mlpBias() && f.bool("mlp_bias", false), false, f.integer("bos_token_id", -1), f.eosIds(),
                variations);
    }

    /** A window on the layers {@code slides} marks, nothing else varied; no window when none slides. */
    private static Variations slidingOnly(int window, List<Boolean> slides) {
        if (window <= 0 || !slides.contains(true)) {
            return Variations.NONE;
        }
        return new Variations(window, slides, 0, 0, 0, 1, false);
    }

    private static ModelConfig parseGptNeox(Fields f) throws ModelException {
        int hidden = f.integer("hidden_size", null);
        int heads = f.integer("num_attention_heads", null);
        int headDim = hidden / Math.max(heads, 1);
        boolean parallel = f.bool("use_parallel_residual", true);
        return new ModelConfig(ModelFamily.GPT_NEOX, f.integer("vocab_size", null), hidden,
                f.integer("num_hidden_layers", null), heads, heads, headDim, f.integer("intermediate_size", null),
                f.number("layer_norm_eps", 1e-5), f.activation("hidden_act", "gelu"), f.rope(headDim, f.number("rotary_pct", 0.25),
                f.number("rotary_emb_base", 10000)),
                f.integer("max_position_embeddings", 2048), f.bool("tie_word_embeddings", false),
                f.bool("attention_bias", true), true, false, f.integer("bos_token_id", -1), f.eosIds(),
                new Variations(0, List.of(), 0, 0, 0, 1, parallel));
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
                f.integer("bos_token_id", -1), f.eosIds(), Variations.NONE);
    }

    private static ModelConfig parseGpt2(Fields f) throws ModelException {
        int hidden = f.integer("n_embd", null);
        int heads = f.integer("n_head", null);
        return new ModelConfig(ModelFamily.GPT2, f.integer("vocab_size", null), hidden, f.integer("n_layer", null),
                heads, heads, hidden / Math.max(heads, 1), f.integer("n_inner", 4 * hidden),
                f.number("layer_norm_epsilon", 1e-5), f.activation("activation_function", "gelu_new"), null,
                f.integer("n_positions", 1024), f.bool("tie_word_embeddings", true), true, true, false,
                f.integer("bos_token_id", -1), f.eosIds(), Variations.NONE);
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
        boolean headsSplitHidden = family == ModelFamily.GPT2 || family == ModelFamily.GPTJ
                || family == ModelFamily.GPT_NEOX;
        if (headsSplitHidden && hiddenSize % numHeads != 0) {
            throw new ModelException(where + "hidden size " + hiddenSize + " is not divisible by the " + numHeads
                    + " attention heads");
        }
        if (rope != null && (rope.rotaryDim() <= 0 || rope.rotaryDim() > headDim || rope.rotaryDim() % 2 != 0)) {
            throw new ModelException(where + "rotary dimension " + rope.rotaryDim()
                    + " must be even and at most the head size " + headDim);
        }
        if (!(normEps > 0)) {
            throw new ModelException(where + "norm epsilon must be positive, got " + normEps);
        }
        if (variations.slidingWindow() < 0 || variations.attentionSoftcap() < 0 || variations.finalSoftcap() < 0
                || variations.queryPreAttnScalar() < 0) {
            throw new ModelException(where + "sliding_window, query_pre_attn_scalar and the soft-caps must not be"
                    + " negative: " + variations);
        }
    }

    /**
     * The number of parameters the architecture has, computed from the sizes (no checkpoint needed).
     *
     * @return the count of every weight and bias, a tied head counted once
     */
    public long parameterCount() {
        return ModelBuilder.build(this).declaredParameterCount();
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

        /** An integer whose explicit JSON {@code null} means "none" (0), and whose absence means {@code dflt}. */
        int nullableInteger(String name, int dflt) throws ModelException {
            JsonNode n = root.get(name);
            return n == null ? dflt : n.isNull() ? 0 : integer(name, dflt);
        }

        /** A number whose explicit JSON {@code null} means "none" (0), and whose absence means {@code dflt}. */
        double nullableNumber(String name, double dflt) throws ModelException {
            JsonNode n = root.get(name);
            return n == null ? dflt : n.isNull() ? 0 : number(name, dflt);
        }

        /**
         * Per layer, whether it uses the sliding window: {@code layer_types} when given ("sliding_attention" or
         * "full_attention" per layer), else the family's rule {@code slides}.
         */
        List<Boolean> layerTypes(int layers, IntPredicate slides) throws ModelException {
            JsonNode n = present("layer_types");
            List<Boolean> out = new ArrayList<>();
            if (n == null) {
                for (int i = 0; i < layers; i++) {
                    out.add(slides.test(i));
                }
                return out;
            }
            if (!n.isArray() || n.size() != layers) {
                throw new ModelException(source + ": 'layer_types' must be a list of " + layers + " strings, got "
                        + n);
            }
            for (JsonNode t : n) {
                switch (t.asText()) {
                    case "sliding_attention" -> out.add(true);
                    case "full_attention" -> out.add(false);
                    default -> throw new ModelException(source + ": unsupported layer type " + t
                            + " in 'layer_types' (supported: sliding_attention, full_attention)");
                }
            }
            return out;
        }

        /**
         * Rope of a config: transformers 5 writes {@code rope_parameters} (theta, scaling and the partial rotary
         * factor in one object), older versions {@code rope_theta}, {@code rope_scaling} and family keys (given here
         * as defaults); {@code rope_parameters} wins, as transformers' {@code setdefault} makes it.
         *
         * @param partialDefault the rotated fraction of each head when no key gives it; NaN where the family rotates
         *     whole heads only (a {@code partial_rotary_factor} other than 1 is then refused)
         * @param thetaDefault the base when {@code rope_parameters} gives none
         */
        Rope rope(int headDim, double partialDefault, double thetaDefault) throws ModelException {
            JsonNode params = present("rope_parameters");
            String field = params != null ? "rope_parameters" : "rope_scaling";
            JsonNode scaling = params != null ? params : present("rope_scaling");
            if (scaling != null && !scaling.isObject()) {
                throw new ModelException(source + ": '" + field + "' must be an object, got " + scaling);
            }
            Fields s = scaling == null ? this : new Fields(scaling, source + " " + field);
            double theta = params != null ? s.number("rope_theta", thetaDefault) : thetaDefault;
            double partial = s.number("partial_rotary_factor", number("partial_rotary_factor",
                    Double.isNaN(partialDefault) ? 1 : partialDefault));
            if (Double.isNaN(partialDefault) && partial != 1) {
                throw new ModelException(source + ": partial_rotary_factor " + partial + " is not implemented for"
                        + " this model_type (its heads rotate whole)");
            }
            int rotaryDim = (int) (headDim * partial);
            if (scaling == null) {
                return Rope.plain(theta, rotaryDim, false);
            }
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
            return new Rope(theta, rotaryDim, false, sc);
        }
    }
}
