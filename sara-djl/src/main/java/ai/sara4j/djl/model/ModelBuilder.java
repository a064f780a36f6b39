package ai.sara4j.djl.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Builds the module tree of a {@link ModelConfig}, recording the shape the config implies for every parameter. */
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
            case LLAMA -> b.llama();
            case GPTJ -> b.gptj();
            case GPT2 -> b.gpt2();
        };
    }

    private CausalLM llama() {
        long h = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        boolean ab = c.attentionBias();
        boolean mb = c.mlpBias();
        Container model = new Container();
        model.add("embed_tokens", embedding(c.vocabSize()));
        Container layers = model.add("layers", new Container());
        for (int i = 0; i < c.numLayers(); i++) {
            SelfAttention attn = SelfAttention.separate(i, c, linear(h, q, ab), linear(h, kv, ab),
                    linear(h, kv, ab), "o_proj", linear(q, h, ab));
            FeedForward mlp = FeedForward.gated(c.activation(), linear(h, c.intermediateSize(), mb),
                    linear(h, c.intermediateSize(), mb), linear(c.intermediateSize(), h, mb));
            layers.add(Integer.toString(i), DecoderLayer.sequential("input_layernorm", rmsNorm(), "self_attn", attn,
                    "post_attention_layernorm", rmsNorm(), mlp));
        }
        model.add("norm", rmsNorm());
        return model(new CausalLM.Layout("model", "embed_tokens", null, "layers", "norm"), model);
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
            layers.add(Integer.toString(i), DecoderLayer.parallel(layerNorm(), attn, mlp));
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
            SelfAttention attn = SelfAttention.fused(i, c, conv1d(path + ".attn.c_attn", h, 3 * h),
                    conv1d(path + ".attn.c_proj", h, h));
            FeedForward mlp = FeedForward.plain(c.activation(), "c_fc",
                    conv1d(path + ".mlp.c_fc", h, c.intermediateSize()), "c_proj",
                    conv1d(path + ".mlp.c_proj", c.intermediateSize(), h));
            layers.add(Integer.toString(i), DecoderLayer.sequential("ln_1", layerNorm(), "attn", attn, "ln_2",
                    layerNorm(), mlp));
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

    private RmsNorm rmsNorm() {
        RmsNorm n = new RmsNorm(c.normEps());
        shapes.put(n.getParameters().get("weight"), new Shape(c.hiddenSize()));
        return n;
    }

    private LayerNorm layerNorm() {
        LayerNorm n = new LayerNorm(c.normEps());
        shapes.put(n.getParameters().get("weight"), new Shape(c.hiddenSize()));
        shapes.put(n.getParameters().get("bias"), new Shape(c.hiddenSize()));
        return n;
    }
}
