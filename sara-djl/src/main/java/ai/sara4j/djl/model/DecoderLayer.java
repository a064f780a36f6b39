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
 * One pre-norm decoder layer. Sequential residual (LLaMA, GPT-2):
 * {@code h = x + attn(norm1(x)); out = h + mlp(norm2(h))}. Parallel residual (GPT-J, one norm):
 * {@code n = norm1(x); out = x + attn(n) + mlp(n)}.
 */
public final class DecoderLayer extends AbstractBlock {
    private final String norm1;
    private final String attention;
    private final String norm2;
    private final String mlp;

    private DecoderLayer(String norm1, String attention, String norm2, String mlp) {
        this.norm1 = norm1;
        this.attention = attention;
        this.norm2 = norm2;
        this.mlp = mlp;
    }

    /** LLaMA and GPT-2: two norms, attention then MLP. */
    static DecoderLayer sequential(String norm1Name, Block norm1, String attnName, SelfAttention attn,
            String norm2Name, Block norm2, FeedForward mlp) {
        DecoderLayer layer = new DecoderLayer(norm1Name, attnName, norm2Name, "mlp");
        layer.addChildBlock(norm1Name, norm1);
        layer.addChildBlock(attnName, attn);
        layer.addChildBlock(norm2Name, norm2);
        layer.addChildBlock("mlp", mlp);
        return layer;
    }

    /** GPT-J: {@code ln_1} feeds both {@code attn} and {@code mlp}. */
    static DecoderLayer parallel(Block ln1, SelfAttention attn, FeedForward mlp) {
        DecoderLayer layer = new DecoderLayer("ln_1", "attn", null, "mlp");
        layer.addChildBlock("ln_1", ln1);
        layer.addChildBlock("attn", attn);
        layer.addChildBlock("mlp", mlp);
        return layer;
    }

    /** x (B, T, hidden) → (B, T, hidden). */
    NDArray forward(ParameterStore ps, NDArray x, AttentionContext ctx, boolean training) {
        NDArray normed = run(ps, norm1, x, training);
        NDArray attended = ((SelfAttention) Modules.child(this, attention)).forward(ps, normed, ctx, training);
        if (norm2 == null) {
            return x.add(attended).add(run(ps, mlp, normed, training));
        }
        NDArray h = x.add(attended);
        return h.add(run(ps, mlp, run(ps, norm2, h, training), training));
    }

    private NDArray run(ParameterStore ps, String child, NDArray x, boolean training) {
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
