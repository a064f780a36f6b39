package ai.sara4j.djl.adapter.edora;

import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdapterMethod;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.adapter.LayerInit;

/** EDoRA in the adapter registry; its PEFT export is a DoRA adapter. */
public final class EdoraMethod implements AdapterMethod {
    /** EDoRA, as {@link ai.sara4j.djl.adapter.AdapterMethods} registers it; the method holds no state. */
    public EdoraMethod() {}

    @Override
    public String name() {
        return EdoraConfig.METHOD;
    }

    @Override
    public boolean reads(PeftConfig file) {
        return file.extension().map(e -> EdoraConfig.METHOD.equals(e.path("method").asText())).orElse(false);
    }

    @Override
    public AdapterConfig readConfig(PeftConfig file) {
        return EdoraConfig.fromPeft(file);
    }

    @Override
    public AdapterLayer newLayer(String module, Linear base, AdapterConfig config, LayerInit init) {
        EdoraConfig edora = (EdoraConfig) config;
        return new EdoraLayer(base, edora.r(), edora.scaling(), edora.initSigma(), edora.dropout(), init);
    }

    @Override
    public AdapterConfig configure(AdapterOptions options) {
        return EdoraConfig.fromOptions(options);
    }
}
