package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.nn.Modules;

/**
 * One decoder layer: attention and MLP on the residual stream, each with optional norms before and after it, in
 * sequence or in parallel. The families' variations:
 * <ul>
 *   <li>pre-norm, sequential (LLaMA, GPT-2, Mistral, Qwen, Gemma, Phi-3, GPT-NeoX without parallel residual):
 *       {@code h = x + attn(n1(x)); out = h + mlp(n2(h))};
 *   <li>pre- and post-norms (Gemma 2): {@code h = x + n2(attn(n1(x))); out = h + n4(mlp(n3(h)))};
 *   <li>post-norms only (OLMo 2): {@code h = x + n1(attn(x)); out = h + n2(mlp(h))};
 *   <li>parallel, one norm (GPT-J): {@code n = n1(x); out = x + attn(n) + mlp(n)};
 *   <li>parallel, two norms (GPT-NeoX): {@code out = x + attn(n1(x)) + mlp(n2(x))}.
 * </ul>
 */
public final class DecoderLayer extends AbstractBlock {
    private final String preAttentionNorm;
    private final String attention;
    private final String postAttentionNorm;
    private final String preMlpNorm;
    private final String postMlpNorm;
    private final boolean parallel;

    private DecoderLayer(Builder b) {
        this.preAttentionNorm = b.preAttentionNorm;
        this.attention = b.attention;
        this.postAttentionNorm = b.postAttentionNorm;
        this.preMlpNorm = b.preMlpNorm;
        this.postMlpNorm = b.postMlpNorm;
        this.parallel = b.parallel;
    }

    /** A layer to assemble; children are added in the order of the calls (the module tree's order). */
    static Builder builder() {
        return new Builder();
    }

    /** Names the children by their roles as it adds them. */
    static final class Builder {
        private final PairList<String, Block> children = new PairList<>();
        private String preAttentionNorm;
        private String attention;
        private String postAttentionNorm;
        private String preMlpNorm;
        private String postMlpNorm;
        private boolean parallel;

        private Builder() {}

        private String add(String name, Block block) {
            children.add(name, block);
            return name;
        }

        Builder preAttentionNorm(String name, Block norm) {
            preAttentionNorm = add(name, norm);
            return this;
        }

        Builder attention(String name, SelfAttention attn) {
            attention = add(name, attn);
            return this;
        }

        Builder postAttentionNorm(String name, Block norm) {
            postAttentionNorm = add(name, norm);
            return this;
        }

        Builder preMlpNorm(String name, Block norm) {
            preMlpNorm = add(name, norm);
            return this;
        }

        /** The MLP, always the child {@code mlp}. */
        Builder mlp(FeedForward mlp) {
            add("mlp", mlp);
            return this;
        }

        Builder postMlpNorm(String name, Block norm) {
            postMlpNorm = add(name, norm);
            return this;
        }

        /** Attention and MLP read the layer's input (through their own norms, or the attention's one). */
        Builder parallel(boolean value) {
            parallel = value;
            return this;
        }

        DecoderLayer build() {
            DecoderLayer layer = new DecoderLayer(this);
            for (int i = 0; i < children.size(); i++) {
                layer.addChildBlock(children.keyAt(i), children.valueAt(i));
            }
            return layer;
        }
    }

    /** x (B, T, hidden) → (B, T, hidden). */
    NDArray forward(ParameterStore ps, NDArray x, AttentionContext ctx, boolean training) {
        NDArray normed = run(ps, preAttentionNorm, x, training);
        NDArray attended = ((SelfAttention) Modules.child(this, attention)).forward(ps, normed, ctx, training);
        attended = run(ps, postAttentionNorm, attended, training);
        if (parallel) {
            NDArray mlpInput = preMlpNorm == null ? normed : run(ps, preMlpNorm, x, training);
            return x.add(attended).add(run(ps, "mlp", mlpInput, training));
        }
        NDArray h = x.add(attended);
        NDArray fed = run(ps, postMlpNorm, run(ps, "mlp", run(ps, preMlpNorm, h, training), training), training);
        return h.add(fed);
    }

    /** The child {@code child} applied to x, or x itself when the layer has no such child (null). */
    private NDArray run(ParameterStore ps, String child, NDArray x, boolean training) {
        if (child == null) {
            return x;
        }
        return Modules.child(this, child).forward(ps, new NDList(x), training).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        throw new UnsupportedOperationException("DecoderLayer runs inside CausalLM, which supplies masks and rope");
    }

    /** Norms, attention and MLP all read the residual stream's shape. */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Container.initializeAll(this, manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
