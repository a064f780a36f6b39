package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.train.StepHook;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The adapters put into one model: their layers by module path, trainable parameters, merge/unmerge, saving, and
 * export to a plain PEFT LoRA folder.
 */
public final class AdaptedModel {
    private final Block model;
    private final AdapterConfig config;
    private final Map<String, AdapterLayer> layers;

    AdaptedModel(Block model, AdapterConfig config, Map<String, AdapterLayer> layers) {
        this.model = model;
        this.config = config;
        this.layers = Collections.unmodifiableMap(new LinkedHashMap<>(layers));
    }

    /** The model the adapters live in. */
    public Block model() {
        return model;
    }

    public AdapterConfig config() {
        return config;
    }

    /** Adapter layers by module path, in model order. */
    public Map<String, AdapterLayer> layers() {
        return layers;
    }

    /** The rank of each adapted module. */
    public Map<String, Integer> ranks() {
        Map<String, Integer> out = new LinkedHashMap<>();
        layers.forEach((k, v) -> out.put(k, v.rank()));
        return out;
    }

    /** The trainable parameters (the optimizer's set), in module order. */
    public List<Parameter> trainableParameters() {
        List<Parameter> out = new ArrayList<>();
        for (AdapterLayer layer : layers.values()) {
            layer.tensors().values().stream().filter(Parameter::requiresGradient).forEach(out::add);
        }
        return out;
    }

    /** Number of trainable scalars. */
    public long trainableCount() {
        return layers.values().stream().mapToLong(AdapterLayer::trainableCount).sum();
    }

    /** Folds every ΔW into its base weight (LoRA, SARA); Mo-SARA refuses with the reason. */
    public void merge() {
        layers.values().forEach(AdapterLayer::merge);
    }

    /** Undoes {@link #merge()}. */
    public void unmerge() {
        layers.values().forEach(AdapterLayer::unmerge);
    }

    /**
     * The method's work after each optimizer update ({@link AdapterMethod#stepHooks}), for the training loop to
     * run; empty for most methods.
     */
    public List<StepHook> stepHooks() {
        return AdapterMethods.byName(config.method()).stepHooks(this);
    }

    /** The {@code adapter_config.json} describing this adapter. */
    public PeftConfig peftConfig() {
        PeftConfig file = config.toPeft(ranks());
        // PEFT saves all-linear as the full names it stood for
        TargetMatcher targets = config.targets();
        return targets.isAllLinear() ? file.targetModules(targets.resolveAllLinear(layers.keySet())) : file;
    }

    /** Saves {@code adapter_config.json} and {@code adapter_model.safetensors} atomically into {@code folder}. */
    public void save(Path folder) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        layers.forEach((module, layer) -> layer.tensors().forEach((name, p) ->
                add(writer, Adapters.PEFT_PREFIX + module + "." + name, p.getArray())));
        PeftConfig file = peftConfig();
        AtomicFiles.writeFolder(folder, tmp -> {
            file.write(tmp);
            writer.write(tmp.resolve(Adapters.WEIGHTS_FILE));
        });
    }

    /**
     * Overwrites every tensor of this adapter with the values {@link #save} wrote into {@code folder} (a training
     * checkpoint of the same adapter); a missing tensor or a shape mismatch is an error naming the file and tensor.
     */
    public void restore(Path folder) throws IOException {
        try (SafetensorsFile tensors = SafetensorsFile.open(folder.resolve(Adapters.WEIGHTS_FILE))) {
            for (Map.Entry<String, AdapterLayer> e : layers.entrySet()) {
                for (Map.Entry<String, Parameter> t : e.getValue().tensors().entrySet()) {
                    TensorLoader.fill(tensors, Adapters.PEFT_PREFIX + e.getKey() + "." + t.getKey(), t.getValue());
                }
            }
        }
    }

    /**
     * Writes a PEFT LoRA adapter with the same update: per module lora_A (r×in) and lora_B (out×r) from
     * {@link AdapterLayer#asLora()}, each module keeping its own rank through {@code rank_pattern} and scaling 1
     * through {@code alpha_pattern} (alpha = r). A module whose pair has rank 0 (a SoRA module whose gates are all
     * zero) has no update and is left out, {@code target_modules} then listing the exported modules by path. When
     * the layers are DoRA-shaped ({@link AdapterLayer#peftMagnitude()}, EDoRA) the folder is a PEFT DoRA adapter
     * ({@code use_dora: true} and {@code lora_magnitude_vector} per module). Mo-SARA cannot be expressed this way
     * and is refused.
     *
     * @param baseModel written as {@code base_model_name_or_path} (may be null)
     */
    public void exportPeft(Path folder, String baseModel) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, Double> alphas = new LinkedHashMap<>();
        int dora = 0;
        for (Map.Entry<String, AdapterLayer> e : layers.entrySet()) {
            String prefix = Adapters.PEFT_PREFIX + e.getKey() + ".";
            try (NDList lora = e.getValue().asLora()) {
                int r = Math.toIntExact(lora.get(0).getShape().get(0));
                if (r == 0) {
                    continue;
                }
                add(writer, prefix + "lora_A.weight", lora.get(0));
                add(writer, prefix + "lora_B.weight", lora.get(1));
                ranks.put(e.getKey(), r);
                alphas.put(e.getKey(), (double) r);
            }
            Optional<NDArray> magnitude = e.getValue().peftMagnitude();
            if (magnitude.isPresent()) {
                try (NDArray m = magnitude.get()) {
                    add(writer, prefix + "lora_magnitude_vector", m);
                }
                dora++;
            }
        }
        if (ranks.isEmpty()) {
            throw new IllegalStateException("nothing to export: every adapted module has rank 0");
        }
        if (dora != 0 && dora != ranks.size()) {
            throw new IllegalStateException("cannot export a mix of DoRA and plain LoRA modules as one PEFT adapter");
        }
        TargetMatcher targets = ranks.size() == layers.size() && !config.targets().isAllLinear() ? config.targets()
                : TargetMatcher.names(new ArrayList<>(ranks.keySet()));
        int maxRank = ranks.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        PeftConfig file = PeftConfig.create("LORA").r(maxRank).loraAlpha(maxRank).loraDropout(config.dropout())
                .useDora(dora > 0).targetModules(targets).rankPattern(ranks).alphaPattern(alphas)
                .baseModelNameOrPath(baseModel);
        AtomicFiles.writeFolder(folder, tmp -> {
            file.write(tmp);
            writer.write(tmp.resolve(Adapters.WEIGHTS_FILE));
        });
    }

    /** Adds an adapter tensor as F32 (F64 adapters, used in gradient checks, stay F64). */
    private static void add(SafetensorsWriter writer, String name, NDArray array) {
        long[] shape = array.getShape().getShape();
        if (array.getDataType() == DataType.FLOAT64) {
            writer.addDoubles(name, shape, array.toDoubleArray());
        } else {
            writer.addFloats(name, shape, array.toFloatArray());
        }
    }
}
