package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.engine.DifferentiableCast;
import ai.sara4j.djl.engine.Scalars;
import ai.sara4j.djl.nn.Modules;

/**
 * Causal multi-head self-attention with grouped-query heads, optional rotary embedding and key/value cache,
 * computed in every dtype by torch's fused {@code scaled_dot_product_attention} (softmax accumulated in float32 by
 * the kernel, no (B, H, T, S) scores kept for backward).
 *
 * <p>The mask argument is chosen for the GPU kernels ({@link AttentionContext.MaskLayout}): none with
 * {@code is_causal} when there is no padding and no cache offset (training without padding, a prefill), none at all
 * for a decoding step without padding, the boolean mask otherwise. The eager matmul + float32 softmax of
 * transformers' eager attention stays as the tests' reference ({@link #eagerReference}).
 *
 * <p>The projections are children looked up at forward time: either separate query/key/value/output
 * ({@code q_proj, k_proj, v_proj, o_proj} for LLaMA, {@code out_proj} for GPT-J) or GPT-2's fused {@code c_attn}
 * (hidden → 3·hidden) with {@code c_proj}.
 */
public final class SelfAttention extends AbstractBlock {
    /** For tests only: true runs every dtype through the eager reference path instead of the fused kernel. */
    static volatile boolean eagerReference;

    private final int layerIndex;
    private final int numHeads;
    private final int numKvHeads;
    private final int headDim;
    private final double scale;
    private final RotaryEmbedding rotary;
    private final String fusedName;
    private final String outName;

    private SelfAttention(int layerIndex, ModelConfig config, String fusedName, String outName) {
        this.layerIndex = layerIndex;
        this.numHeads = config.numHeads();
        this.numKvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.scale = 1 / Math.sqrt(headDim);
        this.rotary = config.rope() == null ? null : new RotaryEmbedding(config.rope());
        this.fusedName = fusedName;
        this.outName = outName;
    }

    /** Separate projections named {@code q_proj, k_proj, v_proj} and {@code outName}. */
    static SelfAttention separate(int layerIndex, ModelConfig config, Linear q, Linear k, Linear v, String outName,
            Linear out) {
        SelfAttention a = new SelfAttention(layerIndex, config, null, outName);
        a.addChildBlock("q_proj", q);
        a.addChildBlock("k_proj", k);
        a.addChildBlock("v_proj", v);
        a.addChildBlock(outName, out);
        return a;
    }

    /** GPT-2: fused {@code c_attn} giving query, key and value side by side, then {@code c_proj}. */
    static SelfAttention fused(int layerIndex, ModelConfig config, Linear cAttn, Linear cProj) {
        SelfAttention a = new SelfAttention(layerIndex, config, "c_attn", "c_proj");
        a.addChildBlock("c_attn", cAttn);
        a.addChildBlock("c_proj", cProj);
        return a;
    }

    /** x (B, T, hidden) → (B, T, hidden). */
    NDArray forward(ParameterStore ps, NDArray x, AttentionContext ctx, boolean training) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray q;
        NDArray k;
        NDArray v;
        if (fusedName != null) {
            NDList qkv = project(ps, fusedName, x, training).split(3, 2);
            q = qkv.get(0);
            k = qkv.get(1);
            v = qkv.get(2);
        } else {
            q = project(ps, "q_proj", x, training);
            k = project(ps, "k_proj", x, training);
            v = project(ps, "v_proj", x, training);
        }
        q = heads(q, b, t, numHeads); // (B, H, T, D)
        k = heads(k, b, t, numKvHeads); // (B, KV, T, D)
        v = heads(v, b, t, numKvHeads);
        if (rotary != null) {
            q = rotary.apply(q, ctx.cos(), ctx.sin());
            k = rotary.apply(k, ctx.cos(), ctx.sin());
        }
        if (ctx.cache() != null) {
            NDArray[] kv = ctx.cache().append(layerIndex, k, v); // (B, KV, S, D) with S = past + T
            k = kv[0];
            v = kv[1];
        }
        q = q.mul(Scalars.like(q, scale)); // 1/√d on q (B, H, T, D) rather than on the scores (B, H, T, S)
        NDArray attended = attend(q, repeatKv(k), repeatKv(v), ctx); // (B, H, T, D)
        NDArray out = attended.transpose(0, 2, 1, 3).reshape(b, t, (long) numHeads * headDim);
        return project(ps, outName, out, training);
    }

    /**
     * softmax(q·kᵀ masked)·v by the fused kernel with the mask argument {@code ctx.layout()} calls for, or by the
     * eager reference while {@link #eagerReference} is set.
     *
     * @param q (B, H, T, D), already scaled
     * @param keys (B, H, S, D), heads repeated to the query heads
     * @param values (B, H, S, D), heads repeated to the query heads
     * @param ctx the mask and its layout
     * @return (B, H, T, D) in q's dtype
     */
    static NDArray attend(NDArray q, NDArray keys, NDArray values, AttentionContext ctx) {
        if (eagerReference) {
            return eager(q, keys, values, ctx.bias());
        }
        return switch (ctx.layout()) {
            case CAUSAL -> TorchFunctions.scaledDotProductAttention(q, keys, values, true);
            case NONE -> TorchFunctions.scaledDotProductAttention(q, keys, values, false);
            case EXPLICIT -> TorchFunctions.scaledDotProductAttention(q, keys, values, ctx.allowed());
        };
    }

    /** softmax(q·kᵀ + bias)·v as transformers' eager attention, q already scaled, the softmax in float32. */
    private static NDArray eager(NDArray q, NDArray keys, NDArray values, NDArray bias) {
        NDArray scores = DifferentiableCast.to(q.matMul(keys.transpose(0, 1, 3, 2)), DataType.FLOAT32).add(bias);
        return DifferentiableCast.to(scores.softmax(-1), values.getDataType()).matMul(values);
    }

    private static NDArray heads(NDArray x, long b, long t, int n) {
        return x.reshape(b, t, n, -1).transpose(0, 2, 1, 3);
    }

    /** Grouped-query attention: each key/value head serves numHeads/numKvHeads consecutive query heads. */
    private NDArray repeatKv(NDArray x) {
        int groups = numHeads / numKvHeads;
        if (groups == 1) {
            return x;
        }
        Shape s = x.getShape(); // (B, KV, S, D)
        return x.expandDims(2).repeat(2, groups).reshape(s.get(0), numHeads, s.get(2), s.get(3));
    }

    private NDArray project(ParameterStore ps, String name, NDArray x, boolean training) {
        return Modules.child(this, name).forward(ps, new NDList(x), training).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        throw new UnsupportedOperationException("SelfAttention runs inside CausalLM, which supplies masks and rope");
    }

    /** Input (B, T, hidden); the output projection reads (B, T, heads·headDim). */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        for (String name : fusedName != null ? new String[] {fusedName} : new String[] {"q_proj", "k_proj", "v_proj"}) {
            Modules.child(this, name).initialize(manager, dataType, in);
        }
        Shape attended = in.slice(0, in.dimension() - 1).add((long) numHeads * headDim);
        Modules.child(this, outName).initialize(manager, dataType, attended);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
