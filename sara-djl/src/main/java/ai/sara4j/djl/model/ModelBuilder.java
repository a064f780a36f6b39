package ai.sara4j.djl.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Builds the module tree of a {@link ModelConfig}, recording the shape the config implies for every parameter. Each
 * family is a mapping onto the shared blocks: its module names, where its norms sit, how its projections are fused.
 */
final class ModelBuilder {
    private final ModelConfig c;
    private final Map<Parameter, Shape> shapes = new IdentityHashMap<>();
    private final Set<String> transposed = new LinkedHashSet<>();

    private ModelBuilder(ModelConfig config) {
        this.c = config;
    }

    /** An unloaded model: parameters declared, no arrays yet. */
    static CausalLM build(ModelConfig config) {
        ModelBuilder b = new ModelBuilder(config);
        return switch (config.family()) {
            case LLAMA, MISTRAL, QWEN2, QWEN3, GEMMA, GEMMA2, OLMO2 -> b.llamaLike();
            case PHI3 -> b.phi3();
            case GPT_NEOX -> b.gptNeox();
            case GPTJ -> b.gptj();
            case GPT2 -> b.gpt2();
        };
    }

    /**
     * LLaMA and the families on its pattern: {@code model.layers.N.self_attn.{q,k,v,o}_proj},
     * {@code mlp.{gate,up,down}_proj}, RMSNorms; what each family changes is local: Qwen2's biases on q, k and v,
     * Qwen3's per-head and OLMo 2's whole-projection q/k norms, Gemma's (1 + w) norms, Gemma 2's four norms and
     * OLMo 2's post-norms.
     */
    private CausalLM llamaLike() {
        long h = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        boolean ab = c.attentionBias();
        boolean outBias = ab && c.family() != ModelFamily.QWEN2;
        boolean mb = c.mlpBias();
        Container model = new Container();
        model.add("embed_tokens", embedding(c.vocabSize()));
        Container layers = model.add("layers", new Container());
        for (int i = 0; i < c.numLayers(); i++) {
            SelfAttention attn = SelfAttention.separate(i, c, linear(h, q, ab), linear(h, kv, ab),
                    linear(h, kv, ab), "o_proj", linear(q, h, outBias));
            switch (c.family()) {
                case QWEN3 -> attn.withQkNorm(SelfAttention.QkNorm.PER_HEAD, rmsNorm(c.headDim()),
                        rmsNorm(c.headDim()));
                case OLMO2 -> attn.withQkNorm(SelfAttention.QkNorm.FULL, rmsNorm(q), rmsNorm(kv));
                default -> { }
            }
            FeedForward mlp = FeedForward.gated(c.activation(), linear(h, c.intermediateSize(), mb),
                    linear(h, c.intermediateSize(), mb), linear(c.intermediateSize(), h, mb));
            DecoderLayer.Builder layer = DecoderLayer.builder();
            switch (c.family()) {
                case GEMMA2 -> layer.preAttentionNorm("input_layernorm", rmsNorm(h)).attention("self_attn", attn)
                        .postAttentionNorm("post_attention_layernorm", rmsNorm(h))
                        .preMlpNorm("pre_feedforward_layernorm", rmsNorm(h)).mlp(mlp)
                        .postMlpNorm("post_feedforward_layernorm", rmsNorm(h));
                case OLMO2 -> layer.attention("self_attn", attn)
                        .postAttentionNorm("post_attention_layernorm", rmsNorm(h)).mlp(mlp)
                        .postMlpNorm("post_feedforward_layernorm", rmsNorm(h));
                default -> layer.preAttentionNorm("input_layernorm", rmsNorm(h)).attention("self_attn", attn)
                        .preMlpNorm("post_attention_layernorm", rmsNorm(h)).mlp(mlp);
            }
            layers.add(Integer.toString(i), layer.build());
        }
        model.add("norm", rmsNorm(h));
        return model(new CausalLM.Layout("model", "embed_tokens", null, "layers", "norm"), model);
    }

    /** Phi-3: LLaMA's layout with the fused {@code qkv_proj} (q, k, v side by side) and {@code gate_up_proj}. */
    private CausalLM phi3() {
        long h = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        Container model = new Container();
        model.add("embed_tokens", embedding(c.vocabSize()));
        Container layers = model.add("layers", new Container());
        for (int i = 0; i < c.numLayers(); i++) {
            SelfAttention attn = SelfAttention.fused(i, c, SelfAttention.Projections.FUSED, "qkv_proj",
                    linear(h, q + 2 * kv, false), "o_proj", linear(q, h, false));
            FeedForward mlp = FeedForward.gatedFused(c.activation(), linear(h, 2L * c.intermediateSize(), false),
                    linear(c.intermediateSize(), h, false));
            layers.add(Integer.toString(i), DecoderLayer.builder().preAttentionNorm("input_layernorm", rmsNorm(h))
                    .attention("self_attn", attn).preMlpNorm("post_attention_layernorm", rmsNorm(h)).mlp(mlp)
                    .build());
        }
        model.add("norm", rmsNorm(h));
        return model(new CausalLM.Layout("model", "embed_tokens", null, "layers", "norm"), model);
    }

    /**
     * GPT-NeoX (Pythia): {@code gpt_neox.layers.N.attention.query_key_value} interleaved per head, {@code dense},
     * {@code mlp.dense_h_to_4h}/{@code dense_4h_to_h}, LayerNorms; the head is {@code lm_head} as transformers 5
     * names the module ({@code embed_out.weight} in checkpoints).
     */
    private CausalLM gptNeox() {
        long h = c.hiddenSize();
        boolean ab = c.attentionBias();
        Container neox = new Container();
        neox.add("embed_in", embedding(c.vocabSize()));
        Container layers = neox.add("layers", new Container());
        for (int i = 0; i < c.numLayers(); i++) {
            SelfAttention attn = SelfAttention.fused(i, c, SelfAttention.Projections.FUSED_PER_HEAD,
                    "query_key_value", linear(h, 3 * h, ab), "dense", linear(h, h, ab));
            FeedForward mlp = FeedForward.plain(c.activation(), "dense_h_to_4h", linear(h, c.intermediateSize(),
                    true), "dense_4h_to_h", linear(c.intermediateSize(), h, true));
            layers.add(Integer.toString(i), DecoderLayer.builder().preAttentionNorm("input_layernorm", layerNorm())
                    .preMlpNorm("post_attention_layernorm", layerNorm()).attention("attention", attn).mlp(mlp)
                    .parallel(c.variations().parallelResidual()).build());
        }
        neox.add("final_layer_norm", layerNorm());
        return model(new CausalLM.Layout("gpt_neox", "embed_in", null, "layers", "final_layer_norm"), neox);
    }

    private CausalLM gptj() {
        long h = c.hiddenSize();
        Container transformer = new Container();
        transformer.add("wte", embedding(c.vocabSize()));
        Container layers = transformer.add("h", new Container());
        for (int i = 0; i < c.numLayers(); i++) {
            SelfAttention attn = SelfAttention.separate(i, c, linear(h, h, false), linear(h, h, false),
                    linear(h, h, false), "out_proj", linear(h, h, false));
            FeedForward mlp = FeedForward.plain(c.activation(), "fc_in", linear(h, c.intermediateSize(), true),
                    "fc_out", linear(c.intermediateSize(), h, true));
            layers.add(Integer.toString(i), DecoderLayer.builder().preAttentionNorm("ln_1", layerNorm())
                    .attention("attn", attn).mlp(mlp).parallel(true).build());
        }
        transformer.add("ln_f", layerNorm());
        return model(new CausalLM.Layout("transformer", "wte", null, "h", "ln_f"), transformer);
    }

    private CausalLM gpt2() {
        long h = c.hiddenSize();
        Container transformer = new Container();
        transformer.add("wte", embedding(c.vocabSize()));
        transformer.add("wpe", embedding(c.maxPositions()));
        Container layers = transformer.add("h", new Container());
        for (int i = 0; i < c.numLayers(); i++) {
            String path = "transformer.h." + i;
            SelfAttention attn = SelfAttention.fused(i, c, SelfAttention.Projections.FUSED, "c_attn",
                    conv1d(path + ".attn.c_attn", h, 3 * h), "c_proj", conv1d(path + ".attn.c_proj", h, h));
            FeedForward mlp = FeedForward.plain(c.activation(), "c_fc",
                    conv1d(path + ".mlp.c_fc", h, c.intermediateSize()), "c_proj",
                    conv1d(path + ".mlp.c_proj", c.intermediateSize(), h));
            layers.add(Integer.toString(i), DecoderLayer.builder().preAttentionNorm("ln_1", layerNorm())
                    .attention("attn", attn).preMlpNorm("ln_2", layerNorm()).mlp(mlp).build());
        }
        transformer.add("ln_f", layerNorm());
        return model(new CausalLM.Layout("transformer", "wte", "wpe", "h", "ln_f"), transformer);
    }

    private CausalLM model(CausalLM.Layout layout, Block backbone) {
        Linear lmHead = linear(c.hiddenSize(), c.vocabSize(), c.lmHeadBias());
        return new CausalLM(c, layout, backbone, lmHead, shapes, transposed);
    }

    private Linear linear(long in, long out, boolean bias) {
        Linear l = Linear.builder().setUnits(out).optBias(bias).build();
        shapes.put(l.getParameters().get("weight"), new Shape(out, in));
        if (bias) {
            shapes.put(l.getParameters().get("bias"), new Shape(out));
        }
        return l;
    }

    /** GPT-2's Conv1D: a linear layer whose checkpoint weight is (in, out). */
    private Linear conv1d(String path, long in, long out) {
        transposed.add(path);
        return linear(in, out, true);
    }

    private Embedding embedding(long rows) {
        Embedding e = new Embedding();
        shapes.put(e.getParameters().get("weight"), new Shape(rows, c.hiddenSize()));
        return e;
    }

    /** The family's RMSNorm over {@code size} values. */
    private RmsNorm rmsNorm(long size) {
        RmsNorm n = new RmsNorm(c.normEps(), switch (c.family()) {
            case GEMMA, GEMMA2 -> RmsNorm.Scale.ONE_PLUS_WEIGHT_IN_FLOAT32;
            case OLMO2 -> RmsNorm.Scale.WEIGHT_IN_FLOAT32;
            default -> RmsNorm.Scale.CAST_THEN_WEIGHT;
        });
        shapes.put(n.getParameters().get("weight"), new Shape(size));
        return n;
    }

    private LayerNorm layerNorm() {
        LayerNorm n = new LayerNorm(c.normEps());
        shapes.put(n.getParameters().get("weight"), new Shape(c.hiddenSize()));
        shapes.put(n.getParameters().get("bias"), new Shape(c.hiddenSize()));
        return n;
    }
}
