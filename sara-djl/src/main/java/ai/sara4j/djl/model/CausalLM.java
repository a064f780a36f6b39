package ai.sara4j.djl.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.engine.DifferentiableCast;
import ai.sara4j.djl.engine.Scalars;
import ai.sara4j.djl.nn.Modules;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A decoder-only language model (any {@link ModelFamily}) as a DJL block whose module tree mirrors the Hugging Face
 * one: {@code model.layers.3.self_attn.q_proj}, {@code transformer.h.0.attn.c_attn}, {@code lm_head}, … (see
 * {@link Modules#named}). Every projection is an {@link ai.djl.nn.core.Linear} with weight (out, in) that the
 * layers look up at forward time, so {@link Modules#replace} of a projection by an adapter takes effect.
 *
 * <p>Create one with {@link ModelLoader}. {@link #forward(ParameterStore, NDArray, NDArray, KvCache, boolean)}
 * maps token ids (B, T) and an attention mask to float32 logits (B, T, vocab).
 */
public final class CausalLM extends AbstractBlock {
    /** Names of the family's top-level modules; the output layer is {@code lm_head} in every family. */
    record Layout(String backbone, String embed, String positions, String layers, String finalNorm) {}

    private final ModelConfig config;
    private final Layout layout;
    private final RotaryEmbedding rotary;
    private final Map<Parameter, Shape> declaredShapes;
    private final Set<String> transposedModules;
    private Map<String, String> checkpointNames = Map.of();

    CausalLM(ModelConfig config, Layout layout, Block backbone, Block lmHead, Map<Parameter, Shape> declaredShapes,
            Set<String> transposedModules) {
        this.config = config;
        this.layout = layout;
        this.rotary = config.rope() == null ? null : new RotaryEmbedding(config.rope());
        this.declaredShapes = declaredShapes;
        this.transposedModules = Collections.unmodifiableSet(transposedModules);
        addChildBlock(layout.backbone(), backbone);
        addChildBlock("lm_head", lmHead);
    }

    /**
     * The configuration this model was built from.
     *
     * @return the parsed {@code config.json} (or the shape given to {@link ModelLoader#random})
     */
    public ModelConfig config() {
        return config;
    }

    /**
     * Module paths whose checkpoint weight is stored transposed, (in, out): GPT-2's Conv1D modules
     * ({@code transformer.h.N.attn.c_attn}, …). They hold (out, in) here; a writer must transpose them back.
     *
     * @return the module paths, unmodifiable; empty for LLaMA and GPT-J
     */
    public Set<String> transposedModules() {
        return transposedModules;
    }

    /**
     * Checkpoint tensor name of each parameter, by parameter path ({@code model.layers.0.self_attn.q_proj.weight}).
     * Names are those of the loaded checkpoint; a tied {@code lm_head.weight} maps to the embedding's tensor.
     * Empty for a model built with random weights.
     *
     * @return parameter path → checkpoint tensor name, unmodifiable
     */
    public Map<String, String> checkpointNames() {
        return checkpointNames;
    }

    void setCheckpointNames(Map<String, String> names) {
        this.checkpointNames = Collections.unmodifiableMap(new LinkedHashMap<>(names));
    }

    /**
     * Parameter path of the token embedding.
     *
     * @return {@code model.embed_tokens.weight} (LLaMA) or {@code transformer.wte.weight} (GPT-2, GPT-J)
     */
    public String embeddingWeightPath() {
        return layout.backbone() + "." + layout.embed() + ".weight";
    }

    /**
     * Every parameter by dotted path, in module order, as in PyTorch's {@code named_parameters()}. Adapter blocks
     * injected into the tree contribute theirs under their own paths.
     *
     * @return a new map, e.g. {@code model.layers.0.self_attn.q_proj.weight} → its parameter
     */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Block> e : Modules.named(this).entrySet()) {
            e.getValue().getDirectParameters().forEach(p -> out.put(e.getKey() + "." + p.getKey(), p.getValue()));
        }
        return out;
    }

    /** The parameters the configuration declares (the builder's, not injected adapters'), a tied head once. */
    long declaredParameterCount() {
        long count = 0;
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            Shape shape = declaredShapes.get(e.getValue());
            if (shape != null && !(config.tieWordEmbeddings() && e.getKey().equals("lm_head.weight"))) {
                count += shape.size();
            }
        }
        return count;
    }

    /** The shape the configuration implies for a parameter created by the model builder, or null. */
    Shape declaredShape(Parameter p) {
        return declaredShapes.get(p);
    }

    /**
     * Logits for token ids.
     *
     * @param ps parameter store (training or inference)
     * @param inputIds (B, T) int64: the new tokens
     * @param attentionMask (B, past + T) with 1 for tokens and 0 for padding (left or right), covering the cached
     *     positions too; null means no padding. Position ids are the count of earlier tokens, so a left-padded row
     *     gives the same logits as the unpadded sequence.
     * @param cache key/value cache to read and extend, or null
     * @param training whether gradients are recorded
     * @return logits (B, T, vocab), float32
     * @throws IllegalArgumentException for a sequence (cached and new tokens) longer than the model's positions
     *     ({@link ModelConfig#checkLength}), or inputs of the wrong shape
     */
    public NDArray forward(ParameterStore ps, NDArray inputIds, NDArray attentionMask, KvCache cache,
            boolean training) {
        Embedded in = embed(ps, inputIds, attentionMask, cache, training);
        NDArray h = in.hidden();
        for (int i = 0; i < config.numLayers(); i++) {
            h = layer(i).forward(ps, h, in.context(), training);
        }
        return head(ps, h, training);
    }

    /**
     * One training pass: the forward pass of token ids in training mode, {@code lossAndBackward} on the logits, and
     * the backward pass through the network, so that the gradients of the trainable parameters accumulate. Call it
     * inside a gradient recording ({@code GradientCollector}).
     *
     * <p>The engine's random generator is re-seeded before the embeddings, each decoder layer and the head, from a
     * base seed drawn from the generator itself: the dropout masks of a layer depend only on that base and the
     * layer's index, so that a recomputed layer draws the same masks. Seed the engine before the call for a
     * repeatable pass.
     *
     * <p>With {@code checkpointed} (activation, or gradient, checkpointing) the decoder layers first run without
     * recording, keeping only each layer's input; the head is recorded from the last hidden state, and the backward
     * pass then recomputes one layer at a time from its saved input, recorded, and back-propagates the incoming
     * gradient through it. Memory holds one layer's activations plus the layer inputs instead of every layer's
     * activations, for about one more forward pass of compute; the gradients are those of the plain pass (same
     * masks, same arithmetic up to the order of summation).
     *
     * @param ps parameter store (training)
     * @param inputIds (B, T) int64 token ids
     * @param attentionMask (B, T) with 1 for tokens and 0 for padding; null means no padding
     * @param checkpointed whether to recompute the layers' activations in the backward pass instead of keeping them
     * @param lossAndBackward given the (B, T, vocab) float32 logits, recorded by autograd, runs the backward pass from
     *     them (e.g. {@code CausalLmLoss.sumAndBackward}) and returns the loss
     * @return what {@code lossAndBackward} returned
     * @throws IllegalArgumentException for a sequence longer than the model's positions or inputs of the wrong
     *     shape
     */
    public double forwardBackward(ParameterStore ps, NDArray inputIds, NDArray attentionMask, boolean checkpointed,
            ToDoubleFunction<NDArray> lossAndBackward) {
        long base;
        try (NDArray drawn = inputIds.getManager().randomInteger(Integer.MIN_VALUE, Integer.MAX_VALUE, new Shape(),
                DataType.INT64)) {
            base = drawn.getLong();
        }
        int layers = config.numLayers();
        seedPart(base, -1);
        Embedded in = embed(ps, inputIds, attentionMask, null, true);
        if (!checkpointed) {
            NDArray h = in.hidden();
            for (int i = 0; i < layers; i++) {
                seedPart(base, i);
                h = layer(i).forward(ps, h, in.context(), true);
            }
            seedPart(base, layers);
            return lossAndBackward.applyAsDouble(head(ps, h, true));
        }
        List<NDArray> inputs = new ArrayList<>(layers + 1);
        inputs.add(in.hidden());
        boolean recording = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int i = 0; i < layers; i++) {
                seedPart(base, i);
                DecoderLayer layer = layer(i);
                NDArray x = inputs.get(i);
                inputs.add(inScope(() -> layer.forward(ps, x, in.context(), true)));
            }
        } finally {
            JniUtils.setGradMode(recording);
        }
        double[] loss = new double[1];
        NDArray gradient = inScope(() -> {
            NDArray last = leaf(inputs.get(layers));
            seedPart(base, layers);
            loss[0] = lossAndBackward.applyAsDouble(head(ps, last, true));
            return last.getGradient();
        });
        inputs.remove(layers).close();
        for (int i = layers - 1; i >= 0; i--) {
            NDArray g = gradient;
            NDArray x = inputs.get(i);
            DecoderLayer layer = layer(i);
            int index = i;
            gradient = inScope(() -> {
                NDArray input = leaf(x);
                seedPart(base, index);
                backward(layer.forward(ps, input, in.context(), true), g);
                return input.getGradient();
            });
            g.close();
            if (i > 0) {
                inputs.remove(i).close();
            }
        }
        if (in.hidden().hasGradient()) { // an adapter before the first layer (on the embeddings)
            backward(in.hidden(), gradient);
        }
        gradient.close();
        return loss[0];
    }

    /** The token and position embeddings and what every layer's attention needs. */
    private record Embedded(NDArray hidden, AttentionContext context) {}

    private Embedded embed(ParameterStore ps, NDArray inputIds, NDArray attentionMask, KvCache cache,
            boolean training) {
        Shape bt = inputIds.getShape();
        if (bt.dimension() != 2) {
            throw new IllegalArgumentException("input_ids must be (batch, length), got " + bt);
        }
        long b = bt.get(0);
        long t = bt.get(1);
        int past = cache == null ? 0 : cache.length();
        config().checkLength(past + t, "a sequence of " + (past > 0 ? past + " cached and " : "") + t + " tokens");
        NDManager manager = inputIds.getManager();
        NDArray mask = attentionMask != null ? attentionMask : manager.ones(new Shape(b, past + t), DataType.INT64);
        if (!mask.getShape().equals(new Shape(b, past + t))) {
            throw new IllegalArgumentException("attention_mask must be (" + b + ", " + (past + t)
                    + ") covering cached and new positions, got " + mask.getShape());
        }
        mask = mask.toType(DataType.INT64, false);
        NDArray positions = positionIds(mask, past); // (B, T)

        Block backbone = Modules.child(this, layout.backbone());
        NDArray h = run(ps, Modules.child(backbone, layout.embed()), inputIds, training); // (B, T, hidden)
        if (layout.positions() != null) {
            h = h.add(run(ps, Modules.child(backbone, layout.positions()), positions, training));
        }
        double embeddingScale = config.variations().embeddingScale();
        if (embeddingScale != 1) {
            h = h.mul(Scalars.like(h, embeddingScale)); // Gemma: √hidden rounded to the weights' dtype
        }
        NDArray[] cosSin = rotary == null ? new NDArray[2] : rotary.cosSin(positions, h.getDataType());
        return new Embedded(h, AttentionContext.of(cosSin[0], cosSin[1], mask, past, cache,
                config.variations().slidingWindow()));
    }

    private DecoderLayer layer(int index) {
        Block layers = Modules.child(Modules.child(this, layout.backbone()), layout.layers());
        return (DecoderLayer) Modules.child(layers, Integer.toString(index));
    }

    /** Final norm and output layer: float32 logits, soft-capped where the family does (Gemma 2). */
    private NDArray head(ParameterStore ps, NDArray h, boolean training) {
        NDArray normed = run(ps, Modules.child(Modules.child(this, layout.backbone()), layout.finalNorm()), h,
                training);
        NDArray logits = DifferentiableCast.to(run(ps, Modules.child(this, "lm_head"), normed, training),
                DataType.FLOAT32);
        double cap = config.variations().finalSoftcap();
        return cap > 0 ? logits.div(Scalars.like(logits, cap)).tanh().mul(Scalars.like(logits, cap)) : logits;
    }

    /**
     * Re-seeds the engine's generator for part {@code index} of a training pass (-1 the embeddings, then the
     * layers, then the head) from the pass's base seed.
     */
    private static void seedPart(long base, int index) {
        long mixed = (base + index + 1) * 0x9E3779B97F4A7C15L;
        Engine.getInstance().setRandomSeed((int) (mixed ^ (mixed >>> 32)));
    }

    /** {@code x} detached from its graph as a new leaf that requires a gradient. */
    private static NDArray leaf(NDArray x) {
        NDArray out = x.stopGradient();
        out.setRequiresGradient(true);
        return out;
    }

    /** Back-propagates gradient {@code g} of {@code y} into the graph that produced {@code y}. */
    private static void backward(NDArray y, NDArray g) {
        JniUtils.backward((PtNDArray) y, (PtNDArray) g, false, false);
    }

    /**
     * Runs {@code body} in its own {@link NDScope}, closing every array it made but the one it returns, which joins
     * the enclosing scope.
     */
    private static NDArray inScope(Supplier<NDArray> body) {
        NDArray out;
        try (NDScope scope = new NDScope()) {
            out = body.get();
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return out;
    }

    /** Inputs {@code [input_ids]} or {@code [input_ids, attention_mask]}; output {@code [logits]}. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray mask = inputs.size() > 1 ? inputs.get(1) : null;
        return new NDList(forward(ps, inputs.get(0), mask, null, training));
    }

    /**
     * Input (B, T) token ids. Weights are already set by {@link ModelLoader}, so this only records input shapes,
     * which DJL requires of every block before a training-mode forward.
     */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        Shape hidden = ids.add(config.hiddenSize());
        Block backbone = Modules.child(this, layout.backbone());
        Modules.child(backbone, layout.embed()).initialize(manager, dataType, ids);
        if (layout.positions() != null) {
            Modules.child(backbone, layout.positions()).initialize(manager, dataType, ids);
        }
        Modules.child(backbone, layout.layers()).initialize(manager, dataType, hidden);
        Modules.child(backbone, layout.finalNorm()).initialize(manager, dataType, hidden);
        Modules.child(this, "lm_head").initialize(manager, dataType, hidden);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.vocabSize())};
    }

    /** cumsum(mask) − 1 for the last T positions; padding gets 1 as in transformers' generate(). */
    private static NDArray positionIds(NDArray mask, int past) {
        NDArray counted = mask.cumSum(1).sub(1);
        NDArray pos = counted.mul(mask).add(mask.neg().add(1)); // padding → 1
        return pos.get(new NDIndex(":, {}:", past));
    }

    private static NDArray run(ParameterStore ps, Block block, NDArray x, boolean training) {
        return block.forward(ps, new NDList(x), training).singletonOrThrow();
    }
}
