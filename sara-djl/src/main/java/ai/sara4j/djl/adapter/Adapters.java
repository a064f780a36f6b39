package ai.sara4j.djl.adapter;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.nn.Modules;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry points: put adapters into a DJL block tree, or load a saved adapter folder (SARA4J's own, or a plain PEFT
 * LoRA made in Python) onto one. Both return the {@link AdaptedModel}, where further adapters, merging, unloading
 * and saving live.
 *
 * <p>Targets are found by dotted module path ({@link Modules}) with PEFT's {@code target_modules} rule and must be
 * {@link Linear} blocks with weights; every other parameter of the model is frozen. Each target is replaced by an
 * {@link AdaptedLinear}, in the parent's children and in the parent's fields that held it ({@link Modules#replace}).
 */
public final class Adapters {
    /** The weights file inside an adapter folder. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** The prefix PEFT puts before module paths in saved tensor names. */
    public static final String PEFT_PREFIX = "base_model.model.";

    private static final Logger LOG = LoggerFactory.getLogger(Adapters.class);

    private Adapters() {}

    /**
     * Injects freshly initialised adapters, named {@value AdaptedModel#DEFAULT}, into every target of {@code model}
     * and freezes everything else. The SVD for ranks and singular vectors runs on the engine, on the model's device.
     *
     * @param model an initialised DJL block tree
     * @param config the adapter's configuration
     * @return the adapted model
     * @throws IllegalArgumentException when the targets match nothing or a non-Linear, or a field of the tree holds a
     *     target in a way the replacement cannot follow (nothing is changed then)
     * @throws IllegalStateException when the model already has adapters or a target has no weights yet
     */
    public static AdaptedModel inject(Block model, AdapterConfig config) {
        requireNoAdapters(model);
        AdaptedModel adapted = AdaptedModel.inject(model, config);
        LOG.info("{} adapters on {} modules, {} trainable parameters, ranks {}", config.method(),
                adapted.layers().size(), adapted.trainableCount(), adapted.ranks());
        return adapted;
    }

    /**
     * Loads an adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors}) onto {@code model}
     * as adapter {@value AdaptedModel#DEFAULT}. Shapes must fit, every tensor must be present and every tensor in the
     * file must be used.
     *
     * @param model an initialised DJL block tree
     * @param folder the adapter folder
     * @return the adapted model
     * @throws IOException for an unreadable folder, a missing or misshapen tensor, or unused tensors (named)
     * @throws IllegalStateException when the model already has adapters
     */
    public static AdaptedModel load(Block model, Path folder) throws IOException {
        requireNoAdapters(model);
        AdaptedModel adapted = AdaptedModel.load(model, folder);
        LOG.info("loaded {} adapter from {} ({} modules)", adapted.config().method(), folder, adapted.layers().size());
        return adapted;
    }

    private static void requireNoAdapters(Block model) {
        for (Map.Entry<String, Block> e : Modules.named(model).entrySet()) {
            if (e.getValue() instanceof AdaptedLinear) {
                throw new IllegalStateException("module '" + e.getKey() + "' already has an adapter: add another "
                        + "with AdaptedModel.addAdapter/loadAdapter on the AdaptedModel that put it there");
            }
        }
    }

    /**
     * The modules of {@code model} matched by the config's targets, by path: {@link Linear}s, or {@link AdaptedLinear}s
     * that other adapters already adapt (whose insides are not candidates).
     */
    static Map<String, Block> targets(Block model, AdapterConfig config) {
        Map<String, Block> modules = new LinkedHashMap<>();
        String inside = null;
        for (Map.Entry<String, Block> e : Modules.named(model).entrySet()) {
            if (inside != null && e.getKey().startsWith(inside)) {
                continue;
            }
            modules.put(e.getKey(), e.getValue());
            inside = e.getValue() instanceof AdaptedLinear ? e.getKey() + "." : null;
        }
        TargetMatcher matcher = config.targets().resolveAllLinear(linearModules(modules));
        Map<String, Block> targets = new LinkedHashMap<>();
        for (String name : matcher.select(modules.keySet(), "the model")) {
            Block module = modules.get(name);
            if (module instanceof Linear) {
                Parameter weight = module.getParameters().get("weight");
                if (weight == null || !weight.isInitialized()) {
                    throw new IllegalStateException("module '" + name + "' has no weights yet: initialise the model "
                            + "(model.initialize(manager, dataType, inputShapes)) or load its weights before putting "
                            + "adapters into it");
                }
            } else if (!(module instanceof AdaptedLinear)) {
                throw new IllegalArgumentException("module '" + name + "' matches target_modules "
                        + config.targets() + " but is a " + module.getClass().getSimpleName() + ", not a Linear");
            }
            targets.put(name, module);
        }
        return targets;
    }

    /**
     * The names of the model's Linear modules (adapted or not) but its output layer
     * ({@link TargetMatcher#OUTPUT_LAYERS}): what PEFT's {@code all-linear} stands for.
     */
    static List<String> linearModules(Map<String, Block> modules) {
        return modules.entrySet().stream()
                .filter(e -> e.getValue() instanceof Linear || e.getValue() instanceof AdaptedLinear)
                .map(Map.Entry::getKey).filter(name -> !TargetMatcher.OUTPUT_LAYERS.contains(name)).toList();
    }
}
