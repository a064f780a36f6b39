package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.engine.DifferentiableCast;
import ai.sara4j.djl.engine.PackedDropout;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A frozen base {@link Linear} (child {@code base_layer}, as in PEFT) plus an adapter path added to its output:
 * {@code y = base(x) + delta(dropout(x))}.
 *
 * <p>Precision: adapter parameters are FP32 (FP64 when the base is FP64, for gradient checks) whatever the base
 * dtype; the adapter path casts its input to that dtype and its result back to the base output's dtype, so an FP16
 * base trains FP32 adapters.
 *
 * <p>Subclasses declare their tensors with {@link #tensor} (the names are PEFT-style, relative to the module, and
 * are the names saved in {@code adapter_model.safetensors}) and implement {@link #delta}.
 */
public abstract class AdapterLayer extends AbstractBlock {
    private final Linear base;
    private final float dropout;
    private final DataType adapterType;
    private final Map<String, Parameter> tensors = new LinkedHashMap<>();
    private boolean merged;

    protected AdapterLayer(Linear base, double dropout) {
        Parameter weight = base.getParameters().get("weight");
        if (weight == null || !weight.isInitialized()) {
            throw new IllegalArgumentException("the base Linear must have its weight before an adapter wraps it");
        }
        this.base = addChildBlock("base_layer", base);
        this.dropout = (float) dropout;
        this.adapterType = baseWeight().getArray().getDataType() == DataType.FLOAT64
                ? DataType.FLOAT64 : DataType.FLOAT32;
    }

    /** The adapter path: {@code x} (…, in) already dropped out and in {@link #adapterType()}; returns (…, out). */
    protected abstract NDArray delta(ParameterStore store, NDArray x, boolean training);

    /**
     * The adapter path with the base layer's output at hand: {@code baseOutput} is base(x) (bias included, base
     * dtype) when {@code x} is the layer's own input, null when dropout changed it. DoRA-shaped adapters, which need
     * x·W0ᵀ of their input, override this to reuse it as PEFT does; the others implement {@link #delta(ParameterStore,
     * NDArray, boolean)}.
     */
    protected NDArray delta(ParameterStore store, NDArray x, NDArray baseOutput, boolean training) {
        return delta(store, x, training);
    }

    /** The rank of the update (k for SARA and Mo-SARA, r for LoRA). */
    public abstract int rank();

    /**
     * ΔW (out×in, adapter dtype) such that the adapter path equals {@code x·ΔWᵀ}; adapters whose update depends
     * on the input throw {@link UnsupportedOperationException} explaining why they cannot be merged.
     */
    public abstract NDArray deltaWeight();

    /**
     * The update as a PEFT LoRA pair with scaling 1: {@code [lora_A (r×in), lora_B (out×r)]} with
     * ΔW = lora_B·lora_A (for a DoRA-shaped adapter, see {@link #peftMagnitude()}, the direction update
     * W0 + lora_B·lora_A instead); unsupported where {@link #deltaWeight} is.
     */
    public abstract NDList asLora();

    /**
     * The DoRA magnitude vector (out) when this adapter is a PEFT DoRA adapter with the {@link #asLora()} pair as
     * its low-rank direction update (EDoRA); empty for plain LoRA-shaped updates.
     */
    public Optional<NDArray> peftMagnitude() {
        return Optional.empty();
    }

    /** The wrapped frozen layer. */
    public Linear base() {
        return base;
    }

    /** The base layer's weight parameter (out×in). */
    public Parameter baseWeight() {
        return base.getParameters().get("weight");
    }

    /** The dtype of the adapter parameters. */
    public DataType adapterType() {
        return adapterType;
    }

    /** Adapter tensors by their module-relative name (trainable and frozen), in declaration order. */
    public Map<String, Parameter> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /** Number of trainable scalars in this adapter. */
    public long trainableCount() {
        return tensors.values().stream().filter(Parameter::requiresGradient).mapToLong(p -> p.getArray().size())
                .sum();
    }

    /** Whether ΔW is currently folded into the base weight. */
    public boolean isMerged() {
        return merged;
    }

    /** Folds ΔW into the base weight; the forward pass then skips the adapter path. */
    public void merge() {
        if (merged) {
            throw new IllegalStateException("adapter already merged");
        }
        NDArray weight = baseWeight().getArray();
        try (NDArray delta = deltaWeight();
                NDArray cast = delta.toType(weight.getDataType(), true)) {
            weight.addi(cast);
        }
        merged = true;
    }

    /** Subtracts ΔW from the base weight again. */
    public void unmerge() {
        if (!merged) {
            throw new IllegalStateException("adapter is not merged");
        }
        NDArray weight = baseWeight().getArray();
        try (NDArray delta = deltaWeight();
                NDArray cast = delta.toType(weight.getDataType(), true)) {
            weight.subi(cast);
        }
        merged = false;
    }

    /**
     * Declares an adapter tensor with its initial value (already in {@link #adapterType()}); frozen tensors are
     * saved with the adapter but get no gradient.
     */
    protected final Parameter tensor(String name, NDArray value, boolean trainable) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optArray(value)
                .optRequiresGrad(trainable).build();
        p.freeze(!trainable);
        addParameter(p);
        tensors.put(name, p);
        return p;
    }

    /** The manager adapter tensors live on: the base weight's, so they share its device and lifetime. */
    protected final NDManager manager() {
        return baseWeight().getArray().getManager();
    }

    /** (out, in) of the base weight. */
    protected final long[] baseShape() {
        return baseWeight().getArray().getShape().getShape();
    }

    /** Uniform(−bound, bound) values from {@code random}, as PyTorch's kaiming_uniform_(a=√5) with bound 1/√fanIn. */
    protected final NDArray kaimingUniform(Random random, long fanIn, long... shape) {
        double bound = 1.0 / Math.sqrt(fanIn);
        double[] values = new double[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (2 * random.nextDouble() - 1) * bound;
        }
        return fromDoubles(values, shape);
    }

    /** Normal(0, std²) values from {@code random}, as PyTorch's normal_ (SoRA's gate, EDoRA's R). */
    protected final NDArray normal(Random random, double std, long... shape) {
        double[] values = new double[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian() * std;
        }
        return fromDoubles(values, shape);
    }

    /** Zeros of the adapter dtype. */
    protected final NDArray zeros(long... shape) {
        return manager().zeros(new Shape(shape), adapterType);
    }

    /**
     * A copy of {@code value} in the adapter dtype, owned by the adapter's manager. The copy is made through
     * {@code duplicate()} (a clone): results of TorchScript modules such as the engine SVD are inference tensors,
     * which autograd refuses to use or update in place.
     */
    protected final NDArray adopt(NDArray value) {
        NDArray copy;
        try (NDArray clone = value.duplicate()) {
            copy = clone.toType(adapterType, true);
        }
        copy.attach(manager());
        return copy;
    }

    /** An adapter-dtype array from float64 values. */
    private NDArray fromDoubles(double[] values, long... shape) {
        NDManager m = manager();
        return adapterType == DataType.FLOAT64
                ? m.create(values, new Shape(shape))
                : m.create(toFloats(values), new Shape(shape));
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    /** The value of a declared tensor for this forward pass. */
    protected final NDArray value(ParameterStore store, Parameter p, NDArray like, boolean training) {
        return store.getValue(p, like.getDevice(), training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList out = base.forward(store, inputs, training, params);
        if (merged) {
            return out;
        }
        NDArray y = out.singletonOrThrow();
        NDArray x = DifferentiableCast.to(inputs.singletonOrThrow(), adapterType);
        boolean dropped = dropout > 0 && training;
        if (dropped) {
            x = PackedDropout.apply(x, dropout);
        }
        NDArray update = delta(store, x, dropped ? null : y, training);
        return new NDList(y.add(DifferentiableCast.to(update, y.getDataType())));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return base.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // The base weight exists (checked in the constructor) and adapter tensors have values.
    }
}
