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

    /**
     * All registered methods.
     *
     * @return LoRA, SARA, Mo-SARA, SoRA and EDoRA, in the order {@link #forConfig} asks them
     */
    public static List<AdapterMethod> all() {
        return METHODS;
    }

    /**
     * The method called {@code name}.
     *
     * @param name a registry name ({@link AdapterMethod#name()})
     * @return the method
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static AdapterMethod byName(String name) {
        return METHODS.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown adapter method '" + name + "' (known: "
                        + names() + ")"));
    }

    /**
     * The first registered method that {@link AdapterMethod#reads reads} {@code file}.
     *
     * @param file a parsed {@code adapter_config.json}
     * @param source where it was read from, named in the error
     * @return the method
     * @throws IllegalArgumentException when no method reads it, naming {@code source}, its {@code peft_type} and
     *     {@code sara4j.method}, and the known methods
     */
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
