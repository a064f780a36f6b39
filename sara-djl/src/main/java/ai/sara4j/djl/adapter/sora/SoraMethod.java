package ai.sara4j.djl.adapter.sora;

import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdapterMethod;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.LayerInit;
import ai.sara4j.djl.train.StepHook;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** SoRA in the adapter registry, with its proximal step as the training loop's after-update hook. */
public final class SoraMethod implements AdapterMethod {
    /** SoRA, as {@link ai.sara4j.djl.adapter.AdapterMethods} registers it; the method holds no state. */
    public SoraMethod() {}

    @Override
    public String name() {
        return SoraConfig.METHOD;
    }

    @Override
    public boolean reads(PeftConfig file) {
        return file.extension().map(e -> SoraConfig.METHOD.equals(e.path("method").asText())).orElse(false);
    }

    @Override
    public AdapterConfig readConfig(PeftConfig file) {
        return SoraConfig.fromPeft(file);
    }

    @Override
    public AdapterLayer newLayer(String module, Linear base, AdapterConfig config, LayerInit init) {
        SoraConfig sora = (SoraConfig) config;
        return new SoraLayer(base, sora.r(), sora.scaling(), sora.dropout(), init);
    }

    @Override
    public AdapterConfig configure(AdapterOptions options) {
        return SoraConfig.fromOptions(options);
    }

    @Override
    public List<StepHook> stepHooks(AdaptedModel adapter) {
        Map<String, SoraLayer> layers = new LinkedHashMap<>();
        adapter.layers().forEach((module, layer) -> layers.put(module, (SoraLayer) layer));
        return List.of(new SoraProximalStep(layers, ((SoraConfig) adapter.config()).xi()));
    }
}
