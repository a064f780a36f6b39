package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.nn.Modules;
import ai.sara4j.djl.svd.EngineSvd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry points: put adapters into a DJL block tree, or load a saved adapter folder (SARA4J's own, or a plain PEFT
 * LoRA made in Python) onto one.
 *
 * <p>Targets are found by dotted module path ({@link Modules}) with PEFT's {@code target_modules} rule and must be
 * {@link Linear} blocks; every other parameter of the model is frozen.
 */
public final class Adapters {
    /** The weights file inside an adapter folder. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** The prefix PEFT puts before module paths in saved tensor names. */
    public static final String PEFT_PREFIX = "base_model.model.";

    private static final Logger LOG = LoggerFactory.getLogger(Adapters.class);

    private Adapters() {}

    /**
     * Injects freshly initialised adapters into every target of {@code model} and freezes everything else. The SVD
     * for ranks and singular vectors runs on the engine, on the model's device.
     */
    public static AdaptedModel inject(Block model, AdapterConfig config) {
        AdapterMethod method = AdapterMethods.byName(config.method());
        Map<String, Linear> targets = targets(model, config);
        NDManager manager = targets.values().iterator().next().getParameters().get("weight").getArray().getManager();
        AdaptedModel adapter;
        try (EngineSvd svd = EngineSvd.create(manager)) {
            adapter = wrap(model, targets, config, method, LayerInit.fresh(config.seed(), svd));
        }
        LOG.info("{} adapters on {} modules, {} trainable parameters, ranks {}", method.name(),
                adapter.layers().size(), adapter.trainableCount(), adapter.ranks());
        return adapter;
    }

    /**
     * Loads an adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors}) onto
     * {@code model}. Shapes must fit, every tensor must be present and every tensor in the file must be used.
     */
    public static AdaptedModel load(Block model, Path folder) throws IOException {
        PeftConfig file = PeftConfig.read(folder);
        Path configFile = folder.resolve(PeftConfig.FILE_NAME);
        AdapterMethod method = AdapterMethods.forConfig(file, configFile);
        AdapterConfig config;
        try {
            config = method.readConfig(file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
        }
        Path weights = folder.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new IOException(folder + ": no " + WEIGHTS_FILE + " (only safetensors adapters are supported)");
        }
        AdaptedModel adapter = wrap(model, targets(model, config), config, method, LayerInit.forLoading());
        try (SafetensorsFile tensors = SafetensorsFile.open(weights)) {
            Map<String, String> unused = new LinkedHashMap<>();
            tensors.tensors().keySet().forEach(n -> unused.put(n, n));
            for (Map.Entry<String, AdapterLayer> e : adapter.layers().entrySet()) {
                for (Map.Entry<String, Parameter> t : e.getValue().tensors().entrySet()) {
                    String name = PEFT_PREFIX + e.getKey() + "." + t.getKey();
                    TensorLoader.fill(tensors, name, t.getValue());
                    unused.remove(name);
                }
            }
            if (!unused.isEmpty()) {
                throw new IOException(weights + ": tensor '" + unused.keySet().iterator().next()
                        + "' does not belong to any adapted module of this model (" + unused.size()
                        + " unused tensors; does target_modules fit this model?)");
            }
        }
        LOG.info("loaded {} adapter from {} ({} modules)", method.name(), folder, adapter.layers().size());
        return adapter;
    }

    /** The Linear modules of {@code model} matched by the config's targets, by path. */
    private static Map<String, Linear> targets(Block model, AdapterConfig config) {
        Map<String, Block> modules = Modules.named(model);
        for (Map.Entry<String, Block> e : modules.entrySet()) {
            if (e.getValue() instanceof AdapterLayer) {
                throw new IllegalStateException("module '" + e.getKey() + "' already has an adapter");
            }
        }
        TargetMatcher matcher = config.targets().resolveAllLinear(linearModules(modules));
        Map<String, Linear> targets = new LinkedHashMap<>();
        for (String name : matcher.select(modules.keySet(), "the model")) {
            Block module = modules.get(name);
            if (!(module instanceof Linear linear)) {
                throw new IllegalArgumentException("module '" + name + "' matches target_modules "
                        + config.targets() + " but is a " + module.getClass().getSimpleName() + ", not a Linear");
            }
            targets.put(name, linear);
        }
        return targets;
    }

    /**
     * The names of the model's Linear modules but its output layer ({@value TargetMatcher#OUTPUT_LAYER}): what PEFT's
     * {@code all-linear} stands for.
     */
    static List<String> linearModules(Map<String, Block> modules) {
        return modules.entrySet().stream().filter(e -> e.getValue() instanceof Linear)
                .map(Map.Entry::getKey).filter(name -> !name.equals(TargetMatcher.OUTPUT_LAYER)).toList();
    }

    private static AdaptedModel wrap(Block model, Map<String, Linear> targets, AdapterConfig config,
            AdapterMethod method, LayerInit init) {
        model.getParameters().values().forEach(p -> p.freeze(true));
        Map<String, AdapterLayer> layers = new LinkedHashMap<>();
        for (Map.Entry<String, Linear> e : targets.entrySet()) {
            AdapterLayer layer = method.newLayer(e.getKey(), e.getValue(), config, init);
            Modules.replace(model, e.getKey(), layer);
            layers.put(e.getKey(), layer);
        }
        return new AdaptedModel(model, config, layers);
    }
}
