package ai.sara4j.djl.adapter.mosara;

import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdapterMethod;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.adapter.LayerInit;
import java.util.Set;

/** Mo-SARA in the adapter registry. */
public final class MoSaraMethod implements AdapterMethod {
    /** Mo-SARA, as {@link ai.sara4j.djl.adapter.AdapterMethods} registers it; the method holds no state. */
    public MoSaraMethod() {}

    @Override
    public String name() {
        return MoSaraConfig.METHOD;
    }

    @Override
    public boolean reads(PeftConfig file) {
        return file.extension().map(e -> MoSaraConfig.METHOD.equals(e.path("method").asText())).orElse(false);
    }

    @Override
    public AdapterConfig readConfig(PeftConfig file) {
        return MoSaraConfig.fromPeft(file);
    }

    @Override
    public AdapterLayer newLayer(String module, Linear base, AdapterConfig config, LayerInit init) {
        MoSaraConfig mo = (MoSaraConfig) config;
        int k = init.rankFor(module, mo.rankPattern(), mo.threshold(), base.getParameters().get("weight").getArray());
        return new MoSaraLayer(base, k, mo.heads(), mo.dropout(), init);
    }

    /** threshold or ranks per module, heads, dropout; {@link MoSaraConfig}'s defaults for those unset. */
    @Override
    public AdapterConfig configure(AdapterOptions options) {
        options.requireOnly(name(), Set.of("threshold", "ranks", "heads", "dropout"), Set.of());
        MoSaraConfig.Builder b = MoSaraConfig.builder(options.targets()).rankPattern(options.ranks())
                .seed(options.seed());
        options.threshold().ifPresent(b::threshold);
        options.heads().ifPresent(b::heads);
        options.dropout().ifPresent(b::dropout);
        return b.build();
    }
}
