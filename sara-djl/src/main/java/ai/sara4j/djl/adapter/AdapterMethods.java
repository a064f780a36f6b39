package ai.sara4j.djl.adapter;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.edora.EdoraMethod;
import ai.sara4j.djl.adapter.lora.LoraMethod;
import ai.sara4j.djl.adapter.mosara.MoSaraMethod;
import ai.sara4j.djl.adapter.sara.SaraMethod;
import ai.sara4j.djl.adapter.sora.SoraMethod;
import java.util.List;
import java.util.stream.Collectors;

/** The registry of adapter methods: one line per method. */
public final class AdapterMethods {
    private static final List<AdapterMethod> METHODS = List.of(
            new LoraMethod(),
            new SaraMethod(),
            new MoSaraMethod(),
            new SoraMethod(),
            new EdoraMethod());

    private AdapterMethods() {}

    /** All registered methods. */
    public static List<AdapterMethod> all() {
        return METHODS;
    }

    /** The method called {@code name}; unknown names are an error listing the known ones. */
    public static AdapterMethod byName(String name) {
        return METHODS.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown adapter method '" + name + "' (known: "
                        + names() + ")"));
    }

    /** The method that reads {@code file}, read from {@code source} (named in the error). */
    public static AdapterMethod forConfig(PeftConfig file, Object source) {
        return METHODS.stream().filter(m -> m.reads(file)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(source + ": unknown adapter method (peft_type="
                        + file.peftType() + ", sara4j.method="
                        + file.extension().map(e -> e.path("method").asText()).orElse("absent") + "); known: "
                        + names()));
    }

    private static String names() {
        return METHODS.stream().map(AdapterMethod::name).collect(Collectors.joining(", "));
    }
}
