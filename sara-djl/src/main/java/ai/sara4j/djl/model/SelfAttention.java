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
import ai.sara4j.djl.engine.DifferentiableCast;
import ai.sara4j.djl.engine.Scalars;
import ai.sara4j.djl.nn.Modules;

/**
 * Causal multi-head self-attention with grouped-query heads, optional rotary embedding, sliding window and
 * key/value cache, computed in every dtype by torch's fused {@code scaled_dot_product_attention} (softmax
 * accumulated in float32 by the kernel, no (B, H, T, S) scores kept for backward).
 *
 * <p>The mask argument is chosen for the GPU kernels ({@link AttentionContext.MaskLayout}): none with
 * {@code is_causal} when there is no padding and no cache offset (training without padding, a prefill), none at all
 * for a decoding step without padding, the boolean mask otherwise. The eager matmul + float32 softmax of
 * transformers' eager attention stays as the tests' reference ({@link #eagerReference}), and computes Gemma 2's
 * soft-capped scores, which the fused kernel cannot.
 *
 * <p>The projections are children looked up at forward time, so that adapters replacing them take effect:
 * <ul>
 *   <li>{@link Projections#SEPARATE}: {@code q_proj, k_proj, v_proj} and the output ({@code o_proj}, GPT-J's
 *       {@code out_proj});
 *   <li>{@link Projections#FUSED}: one module giving query, key and value side by side (GPT-2's {@code c_attn},
 *       Phi-3's {@code qkv_proj}) and the output ({@code c_proj}, {@code o_proj});
 *   <li>{@link Projections#FUSED_PER_HEAD}: GPT-NeoX's {@code query_key_value}, whose output holds per head its
 *       query, key and value side by side, and {@code dense}.
 * </ul>
 * Optional children {@code q_norm} and {@code k_norm} normalise queries and keys before the rotation: per head
 * (Qwen3) or over the whole projection (OLMo 2).
 */
public final class SelfAttention extends AbstractBlock {
    /** For tests only: true runs every dtype through the eager reference path instead of the fused kernel. */
    static volatile boolean eagerReference;

    /** How the query, key and value projections are stored. */
    enum Projections {
        /** Three modules {@code q_proj}, {@code k_proj}, {@code v_proj}. */
        SEPARATE,
        /** One module whose output is [all query heads | all key heads | all value heads]. */
        FUSED,
        /** One module whose output is, per head, [query | key | value] (GPT-NeoX). */
        FUSED_PER_HEAD
    }

    /** Where the query and key norms sit. */
    enum QkNorm {
        /** None. */
        NONE,
        /** Over each head's {@code headDim} values (Qwen3). */
        PER_HEAD,
        /** Over the whole projection, all heads at once (OLMo 2). */
        FULL
    }

    private final int layerIndex;
    private final int numHeads;
    private final int numKvHeads;
    private final int headDim;
    private final int window;
    private final double scale;
    private final double softcap;
    private final RotaryEmbedding rotary;
    private final Projections projections;
    private final String fusedName;
    private final String outName;
    private QkNorm qkNorm = QkNorm.NONE;

    private SelfAttention(int layerIndex, ModelConfig config, Projections projections, String fusedName,
            String outName) {
        this.layerIndex = layerIndex;
        this.numHeads = config.numHeads();
        this.numKvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.window = config.slidingWindow(layerIndex);
        this.scale = config.attentionScale();
        this.softcap = config.variations().attentionSoftcap();
        this.rotary = config.rope() == null ? null : new RotaryEmbedding(config.rope());
        this.projections = projections;
        this.fusedName = fusedName;
        this.outName = outName;
    }

    /** Separate projections named {@code q_proj, k_proj, v_proj} and {@code outName}. */
    static SelfAttention separate(int layerIndex, ModelConfig config, Block q, Block k, Block v, String outName,
            Block out) {
        SelfAttention a = new SelfAttention(layerIndex, config, Projections.SEPARATE, null, outName);
        a.addChildBlock("q_proj", q);
        a.addChildBlock("k_proj", k);
        a.addChildBlock("v_proj", v);
        a.addChildBlock(outName, out);
        return a;
    }

    /** One module {@code qkvName} giving query, key and value in the {@code layout}, then {@code outName}. */
    static SelfAttention fused(int layerIndex, ModelConfig config, Projections layout, String qkvName, Block qkv,
            String outName, Block out) {
        SelfAttention a = new SelfAttention(layerIndex, config, layout, qkvName, outName);
        a.addChildBlock(qkvName, qkv);
        a.addChildBlock(outName, out);
        return a;
    }

    /** Adds the children {@code q_norm} and {@code k_norm}, applied as {@code kind} says; returns this. */
    SelfAttention withQkNorm(QkNorm kind, Block queryNorm, Block keyNorm) {
        this.qkNorm = kind;
        addChildBlock("q_norm", queryNorm);
        addChildBlock("k_norm", keyNorm);
        return this;
    }

    /** x (B, T, hidden) → (B, T, hidden). */
    NDArray forward(ParameterStore ps, NDArray x, AttentionContext ctx, boolean training) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long qd = (long) numHeads * headDim;
        long kvd = (long) numKvHeads * headDim;
        NDList qkv = switch (projections) {
            case SEPARATE -> new NDList(project(ps, "q_proj", x, training), project(ps, "k_proj", x, training),
                    project(ps, "v_proj", x, training));
            case FUSED -> project(ps, fusedName, x, training).split(new long[] {qd, qd + kvd}, 2);
            case FUSED_PER_HEAD -> project(ps, fusedName, x, training).reshape(b, t, numHeads, 3L * headDim)
                    .split(3, 3);
        };
        NDArray q = heads(ps, "q_norm", qkv.get(0), b, t, numHeads, training); // (B, H, T, D)
        NDArray k = heads(ps, "k_norm", qkv.get(1), b, t, numKvHeads, training); // (B, KV, T, D)
        NDArray v = qkv.get(2).reshape(b, t, numKvHeads, headDim).transpose(0, 2, 1, 3);
        if (rotary != null) {
            q = rotary.apply(q, ctx.cos(), ctx.sin());
            k = rotary.apply(k, ctx.cos(), ctx.sin());
        }
        if (ctx.cache() != null) {
            NDArray[] kv = ctx.cache().append(layerIndex, k, v); // (B, KV, S, D) with S = past + T
            k = kv[0];
            v = kv[1];
        }
        q = q.mul(Scalars.like(q, scale)); // on q (B, H, T, D) rather than on the scores (B, H, T, S)
        NDArray attended = attend(q, repeatKv(k), repeatKv(v), ctx.mask(window), softcap); // (B, H, T, D)
        NDArray out = attended.transpose(0, 2, 1, 3).reshape(b, t, qd);
        return project(ps, outName, out, training);
    }

    /**
     * softmax(q·kᵀ masked)·v by the fused kernel with the mask argument the layout calls for, or by the eager
     * reference while {@link #eagerReference} is set or the scores are soft-capped.
     *
     * @param q (B, H, T, D), already scaled
     * @param keys (B, H, S, D), heads repeated to the query heads
     * @param values (B, H, S, D), heads repeated to the query heads
     * @param mask the keys each query sees, and the mask's layout
     * @param softcap c of Gemma 2's {@code c·tanh(scores/c)}, or 0
     * @return (B, H, T, D) in q's dtype
     */
    static NDArray attend(NDArray q, NDArray keys, NDArray values, AttentionContext.Mask mask, double softcap) {
        if (eagerReference || softcap > 0) {
            return eager(q, keys, values, mask.bias(), softcap);
        }
        return switch (mask.layout()) {
            case CAUSAL -> TorchFunctions.scaledDotProductAttention(q, keys, values, true);
            case NONE -> TorchFunctions.scaledDotProductAttention(q, keys, values, false);
            case EXPLICIT -> TorchFunctions.scaledDotProductAttention(q, keys, values, mask.allowed());
        };
    }

    /**
     * softmax(cap(q·kᵀ) + bias)·v as transformers' eager attention, q already scaled, the scores soft-capped when
     * {@code softcap} is positive, the softmax in float32.
     */
    private static NDArray eager(NDArray q, NDArray keys, NDArray values, NDArray bias, double softcap) {
        NDArray scores = DifferentiableCast.to(q.matMul(keys.transpose(0, 1, 3, 2)), DataType.FLOAT32);
        if (softcap > 0) {
            scores = scores.div(Scalars.like(scores, softcap)).tanh().mul(Scalars.like(scores, softcap));
        }
        return DifferentiableCast.to(scores.add(bias).softmax(-1), values.getDataType()).matMul(values);
    }

    /**
     * (B, T, n·D) → (B, n, T, D), through the child {@code norm} where the queries and keys are normalised (over the
     * whole projection before the split into heads, or per head after it).
     */
    private NDArray heads(ParameterStore ps, String norm, NDArray x, long b, long t, int n, boolean training) {
        if (qkNorm == QkNorm.FULL) {
            x = project(ps, norm, x, training);
        }
        x = x.reshape(b, t, n, headDim);
        if (qkNorm == QkNorm.PER_HEAD) {
            x = project(ps, norm, x, training);
        }
        return x.transpose(0, 2, 1, 3);
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

    /**
     * Input (B, T, hidden); the output projection reads (B, T, heads·headDim); the q/k norms read the projection
     * (B, T, heads·headDim) or one head (B, T, heads, headDim).
     */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        for (String name : projections == Projections.SEPARATE ? new String[] {"q_proj", "k_proj", "v_proj"}
                : new String[] {fusedName}) {
            Modules.child(this, name).initialize(manager, dataType, in);
        }
        Shape batch = in.slice(0, in.dimension() - 1);
        Modules.child(this, outName).initialize(manager, dataType, batch.add((long) numHeads * headDim));
        if (qkNorm != QkNorm.NONE) {
            boolean perHead = qkNorm == QkNorm.PER_HEAD;
            Modules.child(this, "q_norm").initialize(manager, dataType, perHead
                    ? batch.add(numHeads, headDim) : batch.add((long) numHeads * headDim));
            Modules.child(this, "k_norm").initialize(manager, dataType, perHead
                    ? batch.add(numKvHeads, headDim) : batch.add((long) numKvHeads * headDim));
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
