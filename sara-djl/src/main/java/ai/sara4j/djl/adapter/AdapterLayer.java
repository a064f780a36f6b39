package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.engine.DifferentiableCast;
import ai.sara4j.djl.engine.PackedDropout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * One adapter's path on one frozen base {@link Linear}: {@code delta(dropout(x))}, added to the base output. The
 * method classes (LoRA, SARA, …) extend it with their tensors and math; the block that takes the Linear's place in
 * the model is an {@link AdaptedLinear}, which holds the base as child {@code base_layer} (as in PEFT) and one
 * {@code AdapterLayer} per named adapter, and adds the active one's path: {@code y = base(x) + delta(dropout(x))}.
 *
 * <p>Precision: adapter parameters are FP32 (FP64 when the base is FP64, for gradient checks) whatever the base
 * dtype; the adapter path casts its input to that dtype and its result back to the base output's dtype, so an FP16
 * base trains FP32 adapters.
 *
 * <p>Subclasses declare their tensors with {@link #tensor} (the names are PEFT-style, relative to the module, and
 * are the names saved in {@code adapter_model.safetensors}) and implement {@link #delta}. Forwarded on its own, the
 * layer gives base(x) plus its path (the base is a reference here, not a child).
 */
public abstract class AdapterLayer extends AbstractBlock {
    private final Linear base;
    private final float dropout;
    private final DataType adapterType;
    private final Map<String, Parameter> tensors = new LinkedHashMap<>();
    private final List<Parameter> trainable = new ArrayList<>();
    private boolean merged;
    /** W0 as it was before {@link #merge()}, so that {@link #unmerge()} restores it bit for bit; null otherwise. */
    private NDArray original;

    /**
     * An adapter on {@code base}.
     *
     * @param base the frozen Linear, whose weight must exist
     * @param dropout dropout probability on the adapter input (0 for none)
     * @throws IllegalArgumentException when the base has no weight value yet
     */
    protected AdapterLayer(Linear base, double dropout) {
        Parameter weight = base.getParameters().get("weight");
        if (weight == null || !weight.isInitialized()) {
            throw new IllegalArgumentException("the base Linear must have its weight before an adapter wraps it");
        }
        this.base = base;
        this.dropout = (float) dropout;
        this.adapterType = baseWeight().getArray().getDataType() == DataType.FLOAT64
                ? DataType.FLOAT64 : DataType.FLOAT32;
    }

    /**
     * The adapter path.
     *
     * @param store the forward pass's parameter store
     * @param x (…, in), already dropped out and in {@link #adapterType()}
     * @param training whether gradients are recorded
     * @return the update (…, out), adapter dtype
     */
    protected abstract NDArray delta(ParameterStore store, NDArray x, boolean training);

    /**
     * The adapter path with the base layer's output at hand: {@code baseOutput} is base(x) (bias included, base
     * dtype) when {@code x} is the layer's own input, null when dropout changed it. DoRA-shaped adapters, which need
     * x·W0ᵀ of their input, override this to reuse it as PEFT does; the others implement {@link #delta(ParameterStore,
     * NDArray, boolean)}.
     *
     * @param store the forward pass's parameter store
     * @param x (…, in), already dropped out and in {@link #adapterType()}
     * @param baseOutput base(x) or null
     * @param training whether gradients are recorded
     * @return the update (…, out), adapter dtype
     */
    protected NDArray delta(ParameterStore store, NDArray x, NDArray baseOutput, boolean training) {
        return delta(store, x, training);
    }

    /**
     * The rank of the update.
     *
     * @return k for SARA and Mo-SARA, r for LoRA
     */
    public abstract int rank();

    /**
     * ΔW (out×in, adapter dtype) such that the adapter path equals {@code x·ΔWᵀ}; adapters whose update depends
     * on the input throw {@link UnsupportedOperationException} explaining why they cannot be merged.
     *
     * @return a new array the caller closes
     */
    public abstract NDArray deltaWeight();

    /**
     * The update as a PEFT LoRA pair with scaling 1: {@code [lora_A (r×in), lora_B (out×r)]} with
     * ΔW = lora_B·lora_A (for a DoRA-shaped adapter, see {@link #peftMagnitude()}, the direction update
     * W0 + lora_B·lora_A instead); unsupported where {@link #deltaWeight} is.
     *
     * @return new arrays the caller closes
     */
    public abstract NDList asLora();

    /**
     * The DoRA magnitude vector (out) when this adapter is a PEFT DoRA adapter with the {@link #asLora()} pair as
     * its low-rank direction update (EDoRA); empty for plain LoRA-shaped updates.
     *
     * @return a new array the caller closes, or empty
     */
    public Optional<NDArray> peftMagnitude() {
        return Optional.empty();
    }

    /**
     * The frozen base layer.
     *
     * @return the Linear this adapter adds to
     */
    public Linear base() {
        return base;
    }

    /**
     * The base layer's weight.
     *
     * @return its parameter (out×in)
     */
    public Parameter baseWeight() {
        return base.getParameters().get("weight");
    }

    /**
     * The dtype of the adapter parameters.
     *
     * @return FLOAT32, or FLOAT64 for an FP64 base
     */
    public DataType adapterType() {
        return adapterType;
    }

    /**
     * Adapter tensors by their module-relative name (trainable and frozen), in declaration order.
     *
     * @return an unmodifiable view
     */
    public Map<String, Parameter> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /**
     * The number of scalars of this adapter that require gradients (0 while it is not the active adapter).
     *
     * @return the count
     */
    public long trainableCount() {
        return tensors.values().stream().filter(Parameter::requiresGradient).mapToLong(p -> p.getArray().size())
                .sum();
    }

    /**
     * Whether ΔW is currently folded into the base weight.
     *
     * @return true while merged
     */
    public boolean isMerged() {
        return merged;
    }

    /**
     * Folds ΔW into the base weight; the forward pass then skips the adapter path. The weight as it was is kept
     * (one copy of W0, on its device) so that {@link #unmerge()} restores it exactly: subtracting ΔW again would
     * leave the rounding of W0 + ΔW in the weight (in FP16 to about 1e-3 relative, in FP32 to about 1e-7).
     *
     * @throws IllegalStateException when already merged
     * @throws UnsupportedOperationException when this method's update depends on the input (Mo-SARA), with the
     *     reason; the weight is unchanged then
     */
    public void merge() {
        merge(true);
    }

    /** Folds ΔW into the base weight for good, keeping no copy of W0 (what {@code mergeAndUnload} needs). */
    final void mergeForGood() {
        if (merged) {
            closeOriginal();
        } else {
            merge(false);
        }
    }

    private void merge(boolean keepOriginal) {
        if (merged) {
            throw new IllegalStateException("adapter already merged");
        }
        NDArray weight = baseWeight().getArray();
        try (NDArray delta = deltaWeight();
                NDArray cast = delta.toType(weight.getDataType(), true)) {
            original = keepOriginal ? weight.duplicate() : null;
            weight.addi(cast);
        }
        merged = true;
    }

    /**
     * Puts the base weight back exactly as it was before {@link #merge()}.
     *
     * @throws IllegalStateException when not merged
     */
    public void unmerge() {
        if (!merged || original == null) {
            throw new IllegalStateException("adapter is not merged");
        }
        baseWeight().getArray().set(new NDIndex(":"), original);
        closeOriginal();
        merged = false;
    }

    /**
     * The base weight W0 without this adapter's update (the kept copy while merged), in the base dtype; for
     * methods whose ΔW depends on W0 (EDoRA).
     *
     * @return W0 (out×in); not a copy: do not close or change it
     */
    protected final NDArray unmergedWeight() {
        return original != null ? original : baseWeight().getArray();
    }

    private void closeOriginal() {
        if (original != null) {
            original.close();
            original = null;
        }
    }

    /**
     * Declares an adapter tensor with its initial value (already in {@link #adapterType()}); frozen tensors are
     * saved with the adapter but get no gradient.
     *
     * @param name the PEFT-style name, saved in the adapter file
     * @param value the initial value
     * @param trainable whether the tensor trains (while its adapter is active)
     * @return the parameter
     */
    protected final Parameter tensor(String name, NDArray value, boolean trainable) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optArray(value)
                .optRequiresGrad(trainable).build();
        p.freeze(!trainable);
        addParameter(p);
        tensors.put(name, p);
        if (trainable) {
            this.trainable.add(p);
        }
        return p;
    }

    /** Lets the tensors declared trainable get gradients, or freezes them (an adapter that is not the active one). */
    final void setTrainable(boolean on) {
        trainable.forEach(p -> p.freeze(!on));
    }

    /** Frees this adapter's tensors and the kept W0; the layer is unusable afterwards. */
    final void discard() {
        closeOriginal();
        clear();
    }

    /**
     * The manager adapter tensors live on: the base weight's, so they share its device and lifetime.
     *
     * @return the base weight's manager
     */
    protected final NDManager manager() {
        return baseWeight().getArray().getManager();
    }

    /**
     * The base weight's shape.
     *
     * @return (out, in)
     */
    protected final long[] baseShape() {
        return baseWeight().getArray().getShape().getShape();
    }

    /**
     * Uniform(−bound, bound) values from {@code random}, as PyTorch's kaiming_uniform_(a=√5) with bound 1/√fanIn.
     *
     * @param random the source
     * @param fanIn the fan-in of the bound
     * @param shape the shape
     * @return an adapter-dtype array
     */
    protected final NDArray kaimingUniform(Random random, long fanIn, long... shape) {
        double bound = 1.0 / Math.sqrt(fanIn);
        double[] values = new double[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (2 * random.nextDouble() - 1) * bound;
        }
        return fromDoubles(values, shape);
    }

    /**
     * Normal(0, std²) values from {@code random}, as PyTorch's normal_ (SoRA's gate, EDoRA's R).
     *
     * @param random the source
     * @param std the standard deviation
     * @param shape the shape
     * @return an adapter-dtype array
     */
    protected final NDArray normal(Random random, double std, long... shape) {
        double[] values = new double[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian() * std;
        }
        return fromDoubles(values, shape);
    }

    /**
     * Zeros of the adapter dtype.
     *
     * @param shape the shape
     * @return the array
     */
    protected final NDArray zeros(long... shape) {
        return manager().zeros(new Shape(shape), adapterType);
    }

    /**
     * A copy of {@code value} in the adapter dtype, owned by the adapter's manager. The copy is made through
     * {@code duplicate()} (a clone): results of TorchScript modules such as the engine SVD are inference tensors,
     * which autograd refuses to use or update in place.
     *
     * @param value the array to copy
     * @return the copy
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

    /**
     * The value of a declared tensor for this forward pass.
     *
     * @param store the forward pass's parameter store
     * @param p the tensor
     * @param like an array on the device wanted
     * @param training whether gradients are recorded
     * @return the value
     */
    protected final NDArray value(ParameterStore store, Parameter p, NDArray like, boolean training) {
        return store.getValue(p, like.getDevice(), training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList out = base.forward(store, inputs, training, params);
        return new NDList(addTo(store, inputs.singletonOrThrow(), out.singletonOrThrow(), training));
    }

    /**
     * {@code y + delta(dropout(input))}: this adapter's path added to the base output {@code y} = base(input); just
     * {@code y} while merged.
     */
    final NDArray addTo(ParameterStore store, NDArray input, NDArray y, boolean training) {
        if (merged) {
            return y;
        }
        NDArray x = DifferentiableCast.to(input, adapterType);
        boolean dropped = dropout > 0 && training;
        if (dropped) {
            x = PackedDropout.apply(x, dropout);
        }
        NDArray update = delta(store, x, dropped ? null : y, training);
        return y.add(DifferentiableCast.to(update, y.getDataType()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return base.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // no children: the base weight exists (checked in the constructor) and adapter tensors have values
    }
}
