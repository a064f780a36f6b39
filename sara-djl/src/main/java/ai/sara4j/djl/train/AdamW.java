package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.sara4j.djl.engine.InPlace;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW exactly as {@code torch.optim.AdamW} (decoupled weight decay, bias-corrected moments, eps added to the
 * corrected square root), with its state readable and writable for checkpoints. For each parameter p with gradient g
 * at update t (from 1):
 *
 * <pre>
 * p ← p·(1 − lr·wd)
 * m ← β1·m + (1 − β1)·g          v ← β2·v + (1 − β2)·g²
 * p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
 * </pre>
 *
 * <p>SARA4J has its own instead of DJL's {@code Optimizer.adamW()} because DJL keeps the moments private (no
 * checkpoint and exact resume) and steps per parameter with its own update counter; the arithmetic above is
 * PyTorch's, checked against hand-computed values in the tests. An update is one call of ATen's
 * {@code _fused_adamw_} (the kernel of {@code torch.optim.AdamW(fused=True)}) per dtype and device of the parameters,
 * not a dozen engine calls per tensor.
 */
public final class AdamW implements AutoCloseable {
    private final Map<String, Parameter> parameters;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager stateManager;
    /** First and second moments per parameter name, same shape and dtype as the parameter. */
    private final Map<String, NDArray> exp;
    private final Map<String, NDArray> expSquared;
    /** The parameters by dtype and device, as the fused kernel takes them. */
    private final List<Group> groups;
    private long steps;

    /** Parameters of one dtype and device with their moments, in the same order. */
    private record Group(List<Parameter> parameters, List<NDArray> exp, List<NDArray> expSquared) {}

    /**
     * An optimizer over {@code parameters} with zero moments and no update applied yet. The moments are allocated
     * beside the first parameter's array (in a sub-manager of its manager) and freed by {@link #close()}.
     *
     * @param parameters the trainable parameters by a stable name (the name keys the saved state); their arrays
     *     must exist
     * @param beta1 decay of the first moment (torch's β1, default 0.9)
     * @param beta2 decay of the second moment (torch's β2, default 0.999)
     * @param eps added to the bias-corrected √v (torch default 1e-8)
     * @param weightDecay decoupled decay per unit learning rate (torch default 0.01; the SARA paper's maths recipe
     *     uses 0)
     * @throws IllegalArgumentException when {@code parameters} is empty
     */
    public AdamW(Map<String, Parameter> parameters, double beta1, double beta2, double eps, double weightDecay) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("AdamW needs at least one trainable parameter");
        }
        this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        NDArray first = parameters.values().iterator().next().getArray();
        this.stateManager = first.getManager().newSubManager();
        this.exp = new LinkedHashMap<>();
        this.expSquared = new LinkedHashMap<>();
        parameters.forEach((name, p) -> {
            exp.put(name, stateManager.zeros(p.getArray().getShape(), p.getArray().getDataType()));
            expSquared.put(name, stateManager.zeros(p.getArray().getShape(), p.getArray().getDataType()));
        });
        Map<List<Object>, Group> byKind = new LinkedHashMap<>();
        parameters.forEach((name, p) -> {
            NDArray array = p.getArray();
            Group g = byKind.computeIfAbsent(List.of(array.getDataType(), array.getDevice()),
                    k -> new Group(new ArrayList<>(), new ArrayList<>(), new ArrayList<>()));
            g.parameters().add(p);
            g.exp().add(exp.get(name));
            g.expSquared().add(expSquared.get(name));
        });
        this.groups = List.copyOf(byKind.values());
    }

    /**
     * An optimizer with torch's defaults β = (0.9, 0.999), eps = 1e-8, and the given weight decay.
     *
     * @param parameters the trainable parameters by a stable name (the name keys the saved state)
     * @param weightDecay decoupled decay per unit learning rate
     * @return the optimizer; close it to free the moments
     * @throws IllegalArgumentException when {@code parameters} is empty
     */
    public static AdamW withDefaults(Map<String, Parameter> parameters, double weightDecay) {
        return new AdamW(parameters, 0.9, 0.999, 1e-8, weightDecay);
    }

    /**
     * The parameters this optimizer updates, by name.
     *
     * @return the map given at construction, unmodifiable, in its order
     */
    public Map<String, Parameter> parameters() {
        return parameters;
    }

    /**
     * Number of updates applied so far.
     *
     * @return t of the last update; 0 before the first
     */
    public long steps() {
        return steps;
    }

    /**
     * Applies one update with learning rate {@code lr} using each parameter's current gradient (already unscaled and
     * clipped by the caller). Gradients are left as they are; the caller zeroes them.
     *
     * @param lr the learning rate of this update (from the schedule)
     */
    public void step(double lr) {
        steps++;
        for (Group g : groups) {
            FusedUpdates.adamW(g.parameters(), g.exp(), g.expSquared(), steps, lr, beta1, beta2, eps, weightDecay);
        }
    }

    /**
     * The moments, for checkpoints, named as in torch's optimizer state ({@code exp_avg}, {@code exp_avg_sq}).
     *
     * @return {@code <name>.exp_avg} and {@code <name>.exp_avg_sq} for every parameter, in parameter order: the live
     *     arrays (same shape and dtype as the parameter), not copies
     */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        parameters.keySet().forEach(name -> {
            out.put(name + ".exp_avg", exp.get(name));
            out.put(name + ".exp_avg_sq", expSquared.get(name));
        });
        return out;
    }

    /**
     * Restores the update count and the moments saved by {@link #state()}; {@code moments} gives the values of each
     * state name (missing or mis-sized entries are errors naming {@code source} and the entry).
     *
     * @param steps the update count t of the saved state; the next {@link #step} is update t + 1
     * @param moments values by state name ({@code <name>.exp_avg}, {@code <name>.exp_avg_sq}), row-major,
     *     converted to each moment's dtype
     * @param source where the state was read from, for messages
     * @throws IllegalArgumentException when an entry is missing or has the wrong number of values
     */
    public void restore(long steps, Map<String, float[]> moments, Object source) {
        for (Map.Entry<String, NDArray> e : state().entrySet()) {
            float[] values = moments.get(e.getKey());
            NDArray target = e.getValue();
            if (values == null) {
                throw new IllegalArgumentException(source + ": optimizer state has no tensor '" + e.getKey() + "'");
            }
            if (values.length != target.size()) {
                throw new IllegalArgumentException(source + ": optimizer tensor '" + e.getKey() + "' has "
                        + values.length + " values, the parameter has " + target.size());
            }
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                InPlace.copy(stateManager.create(values, target.getShape()).toType(target.getDataType(), false), target);
            }
        }
        this.steps = steps;
    }

    @Override
    public void close() {
        stateManager.close();
    }
}
