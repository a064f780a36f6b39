package ai.sara4j.djl.adapter.lora;

import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdapterMethod;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.adapter.LayerInit;
import java.util.Set;

/** LoRA in the adapter registry; it also reads every plain PEFT LoRA folder (peft_type LORA, no sara4j section). */
public final class LoraMethod implements AdapterMethod {
    /** LoRA, as {@link ai.sara4j.djl.adapter.AdapterMethods} registers it; the method holds no state. */
    public LoraMethod() {}

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

    /** r, alpha, dropout ({@link LoraConfig}'s defaults for those unset); {@code --method-option use_rslora=true}. */
    @Override
    public AdapterConfig configure(AdapterOptions options) {
        options.requireOnly(name(), Set.of("r", "alpha", "dropout"), Set.of("use_rslora"));
        String rslora = options.extra().getOrDefault("use_rslora", "false").trim();
        if (!rslora.equalsIgnoreCase("true") && !rslora.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("method option 'use_rslora' must be true or false, got '" + rslora + "'");
        }
        LoraConfig.Builder b = LoraConfig.builder(options.targets()).seed(options.seed())
                .useRslora(Boolean.parseBoolean(rslora));
        options.r().ifPresent(b::r);
        options.alpha().ifPresent(b::alpha);
        options.dropout().ifPresent(b::dropout);
        return b.build();
    }
}
