package ai.sara4j.djl.adapter.lora;

import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdapterMethod;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.adapter.LayerInit;
import java.util.Map;
import java.util.Set;

/** LoRA in the adapter registry; it also reads every plain PEFT LoRA folder (peft_type LORA, no sara4j section). */
public final class LoraMethod implements AdapterMethod {
    /** The SARA paper's LoRA rank (Table 5). */
    public static final int DEFAULT_R = 10;
    /** Adapter dropout of every method in the SARA paper. */
    public static final double DEFAULT_DROPOUT = 0.05;

    @Override
    public String name() {
        return LoraConfig.METHOD;
    }

    @Override
    public boolean reads(PeftConfig file) {
        return file.extension().isEmpty() && "LORA".equalsIgnoreCase(file.peftType());
    }

    @Override
    public AdapterConfig readConfig(PeftConfig file) {
        return LoraConfig.fromPeft(file);
    }

    @Override
    public AdapterLayer newLayer(String module, Linear base, AdapterConfig config, LayerInit init) {
        LoraConfig lora = (LoraConfig) config;
        return new LoraLayer(base, lora.rankFor(module), lora.scalingFor(module), lora.dropout(), init);
    }

    /**
     * The SARA paper's LoRA baseline (its Table 5): r = 10, alpha = 2r (the table's scaling 2), dropout 0.05;
     * {@code ranks} becomes {@code rank_pattern}; {@code --method-option use_rslora=true} for rsLoRA.
     */
    @Override
    public AdapterConfig configure(AdapterOptions options) {
        options.requireOnly(name(), Set.of("r", "alpha", "ranks"), Set.of("use_rslora"));
        int r = options.r().orElse(DEFAULT_R);
        double alpha = options.alpha().orElse(2.0 * r);
        boolean rslora = Boolean.parseBoolean(options.extra().getOrDefault("use_rslora", "false"));
        return LoraConfig.of(options.targets(), r, alpha).withDropout(options.dropout().orElse(DEFAULT_DROPOUT))
                .withRslora(rslora).withPatterns(options.ranks(), Map.of()).withSeed(options.seed());
    }
}
