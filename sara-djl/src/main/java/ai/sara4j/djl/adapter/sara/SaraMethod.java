package ai.sara4j.djl.adapter.sara;

import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.AdapterConfig;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdapterMethod;
import ai.sara4j.djl.adapter.AdapterOptions;
import ai.sara4j.djl.adapter.LayerInit;
import java.util.Locale;
import java.util.Set;

/** SARA in the adapter registry: the rank of each module comes from its rank_pattern entry or the rank rule. */
public final class SaraMethod implements AdapterMethod {
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

    /**
     * The paper's defaults (threshold 0.01, Kaiming-uniform init of U, λ, V, dropout 0.05); {@code ranks} (from
     * budget matching) become {@code rank_pattern} and win over the threshold; {@code init} is {@code random}
     * (alias {@code kaiming}) or {@code zero}.
     */
    @Override
    public AdapterConfig configure(AdapterOptions options) {
        options.requireOnly(name(), Set.of("threshold", "ranks", "init"), Set.of());
        SaraConfig.Init init = options.init().map(SaraMethod::parseInit).orElse(SaraConfig.Init.KAIMING);
        return SaraConfig.of(options.targets()).withThreshold(options.threshold().orElse(SaraConfig.DEFAULT_THRESHOLD))
                .withRankPattern(options.ranks()).withInit(init)
                .withDropout(options.dropout().orElse(SaraConfig.DEFAULT_DROPOUT)).withSeed(options.seed());
    }

    private static SaraConfig.Init parseInit(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "random", "kaiming" -> SaraConfig.Init.KAIMING;
            case "zero" -> SaraConfig.Init.ZERO;
            default -> throw new IllegalArgumentException("SARA init must be 'random' (or 'kaiming') or 'zero', got '"
                    + value + "'");
        };
    }
}
