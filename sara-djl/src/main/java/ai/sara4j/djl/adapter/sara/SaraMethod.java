package ai.sara4j.djl.adapter.sara;

import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdapterMethod;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.adapter.LayerInit;
import java.util.Set;

/** SARA in the adapter registry: the rank of each module comes from its rank_pattern entry or the rank rule. */
public final class SaraMethod implements AdapterMethod {
    /** SARA, as {@link ai.sara4j.djl.adapter.AdapterMethods} registers it; the method holds no state. */
    public SaraMethod() {}

    @Override
    public String name() {
        return SaraConfig.METHOD;
    }

    @Override
    public boolean reads(PeftConfig file) {
        return file.extension().map(e -> SaraConfig.METHOD.equals(e.path("method").asText())).orElse(false);
    }

    @Override
    public AdapterConfig readConfig(PeftConfig file) {
        return SaraConfig.fromPeft(file);
    }

    @Override
    public AdapterLayer newLayer(String module, Linear base, AdapterConfig config, LayerInit init) {
        SaraConfig sara = (SaraConfig) config;
        int k = init.rankFor(module, sara.rankPattern(), sara.threshold(), base.getParameters().get("weight").getArray());
        return new SaraLayer(base, k, sara.init(), sara.dropout(), init);
    }

    /** threshold or ranks per module, init ({@code random} or {@code zero}), dropout; {@link SaraConfig}'s defaults. */
    @Override
    public AdapterConfig configure(AdapterOptions options) {
        options.requireOnly(name(), Set.of("threshold", "ranks", "init", "dropout"), Set.of());
        SaraConfig.Builder b = SaraConfig.builder(options.targets()).rankPattern(options.ranks()).seed(options.seed());
        options.threshold().ifPresent(b::threshold);
        options.init().map(SaraConfig.Init::parse).ifPresent(b::init);
        options.dropout().ifPresent(b::dropout);
        return b.build();
    }
}
