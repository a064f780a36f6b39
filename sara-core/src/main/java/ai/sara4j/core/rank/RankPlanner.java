package ai.sara4j.core.rank;

import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.core.safetensors.TensorSource;
import ai.sara4j.core.target.TargetMatcher;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds {@link RankPlan}s for the target modules of a checkpoint. Targets are the 2-D {@code <module>.weight}
 * tensors whose module name the {@link TargetMatcher} accepts; their shapes come from the safetensors header, so
 * fixed-rank plans never read a weight. Threshold plans need singular values, which a {@link SingularValueSource}
 * computes once per target ({@link #spectra}); the same spectra then serve any number of thresholds.
 */
public final class RankPlanner {
    private static final Logger LOG = LoggerFactory.getLogger(RankPlanner.class);

    /** How many existing module names an error lists when nothing matched. */
    private static final int EXAMPLES = 8;
    /** Last name segments of 2-D weights that are not linear layers, or are the output layer. */
    private static final Set<String> EMBEDDINGS = Set.of("embed_tokens", "wte", "wpe", "embed_in");

    private final TensorSource model;
    private final List<TargetModule> targets;
    private final long base;

    private RankPlanner(TensorSource model, List<TargetModule> targets, long base) {
        this.model = model;
        this.targets = List.copyOf(targets);
        this.base = base;
    }

    /**
     * A planner for a checkpoint whose weights are all stored out × in (PyTorch {@code nn.Linear}). Reads only the
     * safetensors header.
     *
     * @param model the checkpoint
     * @param matcher selects the target modules by name ({@code all-linear} resolved against the checkpoint)
     * @return the planner
     * @throws IllegalArgumentException when no 2-D weight matches, listing some module names that exist
     */
    public static RankPlanner of(TensorSource model, TargetMatcher matcher) {
        return of(model, matcher, module -> false);
    }

    /**
     * A planner for a checkpoint where some weights are stored in × out, like GPT-2's Conv1D (PEFT's
     * {@code fan_in_fan_out}).
     *
     * @param model the checkpoint; only its header is read
     * @param matcher selects the target modules by name ({@code all-linear} resolved against the checkpoint)
     * @param storedInByOut tells, by module name, which targets are stored transposed
     * @return the planner
     * @throws IllegalArgumentException when no 2-D weight matches, listing some module names that exist
     */
    public static RankPlanner of(TensorSource model, TargetMatcher matcher, Predicate<String> storedInByOut) {
        Map<String, TensorInfo> matrices = new LinkedHashMap<>();
        long base = 0;
        for (TensorInfo t : model.tensors().values()) {
            base += t.numel();
            if (t.shape().length == 2 && t.name().endsWith(".weight")) {
                matrices.put(t.name().substring(0, t.name().length() - ".weight".length()), t);
            }
        }
        List<String> selected;
        try {
            selected = matcher.resolveAllLinear(linearModules(matrices.keySet()))
                    .select(matrices.keySet(), "2-D weights of " + model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; modules there include: "
                    + examples(matrices.keySet()), e);
        }
        List<TargetModule> targets = new ArrayList<>();
        for (String module : selected) {
            TensorInfo t = matrices.get(module);
            boolean transposed = storedInByOut.test(module);
            long rows = t.shape()[0];
            long cols = t.shape()[1];
            targets.add(new TargetModule(module, t.name(), transposed ? cols : rows, transposed ? rows : cols,
                    transposed));
        }
        LOG.debug("{}: {} target modules for '{}'", model, targets.size(), matcher);
        return new RankPlanner(model, targets, base);
    }

    /**
     * The modules PEFT's {@code all-linear} stands for, told from a checkpoint's 2-D weights by name: all but the
     * token and position embeddings ({@code embed_tokens}, {@code wte}, {@code wpe}, {@code embed_in}) and the
     * output layer ({@link TargetMatcher#OUTPUT_LAYERS}) of the checkpoints SARA4J loads.
     */
    static List<String> linearModules(Collection<String> matrices) {
        return matrices.stream().filter(m -> !EMBEDDINGS.contains(lastSegment(m))
                && !TargetMatcher.OUTPUT_LAYERS.contains(m)).toList();
    }

    /** {@code q_proj} of {@code model.layers.0.self_attn.q_proj}. */
    private static String lastSegment(String module) {
        return module.substring(module.lastIndexOf('.') + 1);
    }

    private static String examples(Set<String> matrices) {
        Set<String> kinds = matrices.stream().map(RankPlanner::lastSegment)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        String names = matrices.stream().limit(EXAMPLES).collect(Collectors.joining(", "));
        return names + (matrices.size() > EXAMPLES ? ", …" : "") + " (last segments: " + String.join(", ", kinds)
                + ")";
    }

    /**
     * The target modules, in checkpoint order.
     *
     * @return the targets with their out × in shapes (never empty)
     */
    public List<TargetModule> targets() {
        return targets;
    }

    /**
     * All parameters of the checkpoint: the denominator of a plan's trainable share.
     *
     * @return the sum of every tensor's element count
     */
    public long base() {
        return base;
    }

    /**
     * Asks {@code source} once for the singular values of every target.
     *
     * @param source computes the singular values (on the engine, in sara-djl)
     * @return spectra by module name, in target order
     * @throws IOException when the source cannot read a weight
     * @throws IllegalArgumentException when the source leaves out a target, gives the wrong number of values, or
     *     a spectrum is invalid (zero matrix, NaN/Inf), naming the module
     */
    public Map<String, Spectrum> spectra(SingularValueSource source) throws IOException {
        Map<String, double[]> values = source.singularValues(model, targets);
        Map<String, Spectrum> out = new LinkedHashMap<>();
        for (TargetModule t : targets) {
            double[] s = values.get(t.name());
            if (s == null) {
                throw new IllegalArgumentException(t.name() + ": no singular values from " + source);
            }
            if (s.length != t.maxRank()) {
                throw new IllegalArgumentException(t.name() + ": " + s.length + " singular values for a "
                        + t.out() + "x" + t.in() + " weight, expected " + t.maxRank());
            }
            out.put(t.name(), Spectrum.of(t.name(), s));
        }
        return out;
    }

    /**
     * A plan where every module has rank {@code r}: LoRA, SoRA or EDoRA. Reads no weights.
     *
     * @param method {@link Method#LORA}, {@link Method#SORA} or {@link Method#EDORA}
     * @param r the rank of every module (SoRA: the initial rank its gate prunes from)
     * @return the plan
     * @throws IllegalArgumentException for a threshold method, r &lt; 1, or (EDoRA, whose factors come from a
     *     truncated SVD) r above a module's min(out, in)
     */
    public RankPlan fixedRank(Method method, int r) {
        if (method.usesThreshold()) {
            throw new IllegalArgumentException("method " + method + " takes a threshold, not a fixed rank");
        }
        if (r < 1) {
            throw new IllegalArgumentException("rank r must be at least 1, got " + r);
        }
        List<RankPlan.ModuleRank> modules = new ArrayList<>();
        for (TargetModule t : targets) {
            if (method == Method.EDORA && r > t.maxRank()) {
                throw new IllegalArgumentException(t.name() + ": EDoRA rank r=" + r + " exceeds min(out, in) = "
                        + t.maxRank());
            }
            modules.add(new RankPlan.ModuleRank(t.name(), t.out(), t.in(), r, method.trainable(t.out(), t.in(), r, 0)));
        }
        return new RankPlan(method, null, r, null, modules, base);
    }

    /**
     * A SARA plan: each module's rank from the {@link RankRule} with {@code threshold}. SARA has no heads; Mo-SARA
     * takes them in {@link #byThreshold(Method, double, int, Map)}.
     *
     * @param method {@link Method#SARA}
     * @param threshold share of the singular-value sum to keep, in (0, 1]
     * @param spectra from {@link #spectra}
     * @return the plan
     * @throws IllegalArgumentException for a method other than SARA (Mo-SARA: naming its heads), a threshold
     *     outside (0, 1], or a target missing from {@code spectra}
     */
    public RankPlan byThreshold(Method method, double threshold, Map<String, Spectrum> spectra) {
        requireSara(method);
        return byThreshold(method, threshold, 0, spectra);
    }

    /**
     * {@link #byThreshold(Method, double, Map)} with spectra computed by {@code source}.
     *
     * @param method {@link Method#SARA}
     * @param threshold share of the singular-value sum to keep, in (0, 1]
     * @param source computes the singular values of every target
     * @return the plan
     * @throws IOException when the source cannot read a weight
     */
    public RankPlan byThreshold(Method method, double threshold, SingularValueSource source) throws IOException {
        requireSara(method);
        return byThreshold(method, threshold, spectra(source));
    }

    /**
     * A SARA or Mo-SARA plan: each module's rank from the {@link RankRule} with {@code threshold}. This form takes
     * the method as a value (a command line's {@code --method} with its {@code --heads}); for SARA, {@code heads} is
     * not used and not recorded.
     *
     * @param method {@link Method#SARA} or {@link Method#MOSARA}
     * @param threshold share of the singular-value sum to keep, in (0, 1]
     * @param heads Mo-SARA's number m of singular-value vectors (at least 1); not used for SARA
     * @param spectra from {@link #spectra}
     * @return the plan
     * @throws IllegalArgumentException for a fixed-rank method, Mo-SARA with heads &lt; 1, a threshold outside
     *     (0, 1], or a target missing from {@code spectra}
     */
    public RankPlan byThreshold(Method method, double threshold, int heads, Map<String, Spectrum> spectra) {
        checkHeads(method, heads);
        RankRule rule = new RankRule(threshold);
        int[] ranks = targets.stream().mapToInt(t -> rule.rank(spectrumOf(t, spectra))).toArray();
        return withRanks(method, threshold, heads, ranks);
    }

    /**
     * {@link #byThreshold(Method, double, int, Map)} with spectra computed by {@code source}.
     *
     * @param method {@link Method#SARA} or {@link Method#MOSARA}
     * @param threshold share of the singular-value sum to keep, in (0, 1]
     * @param heads Mo-SARA's number m of singular-value vectors; not used for SARA
     * @param source computes the singular values of every target
     * @return the plan
     * @throws IOException when the source cannot read a weight
     */
    public RankPlan byThreshold(Method method, double threshold, int heads, SingularValueSource source)
            throws IOException {
        return byThreshold(method, threshold, heads, spectra(source));
    }

    /** Mo-SARA named without heads is an error that says where they go. */
    static void requireSara(Method method) {
        if (method == Method.MOSARA) {
            throw new IllegalArgumentException("Mo-SARA needs its number of heads (singular-value vectors): pass "
                    + "them as byThreshold(MOSARA, threshold, heads, spectra)");
        }
        if (method != Method.SARA) {
            throw new IllegalArgumentException("method " + method + " takes a fixed rank r, not a threshold");
        }
    }

    /** Builds a threshold plan from ranks already chosen (the budget matcher's sweep). */
    RankPlan withRanks(Method method, double threshold, int heads, int[] ranks) {
        List<RankPlan.ModuleRank> modules = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            TargetModule t = targets.get(i);
            modules.add(new RankPlan.ModuleRank(t.name(), t.out(), t.in(), ranks[i],
                    method.trainable(t.out(), t.in(), ranks[i], heads)));
        }
        return new RankPlan(method, threshold, null, checkHeads(method, heads), modules, base);
    }

    /** Validates Mo-SARA's heads; returns the value to record in the plan (null for SARA). */
    static Integer checkHeads(Method method, int heads) {
        if (!method.usesThreshold()) {
            throw new IllegalArgumentException("method " + method + " takes a fixed rank r, not a threshold");
        }
        if (method != Method.MOSARA) {
            return null;
        }
        if (heads < 1) {
            throw new IllegalArgumentException("Mo-SARA needs at least 1 head (singular-value vector), got " + heads);
        }
        return heads;
    }

    static Spectrum spectrumOf(TargetModule t, Map<String, Spectrum> spectra) {
        Spectrum s = spectra.get(t.name());
        if (s == null) {
            throw new IllegalArgumentException(t.name() + ": no singular values given for this target");
        }
        return s;
    }
}
