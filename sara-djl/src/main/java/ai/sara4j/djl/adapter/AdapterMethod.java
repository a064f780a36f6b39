package ai.sara4j.djl.adapter;

import ai.djl.nn.core.Linear;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.train.StepHook;
import java.util.List;

/**
 * The service interface of one adapter method. The wiring ({@link Adapters}, {@link AdaptedModel}) handles
 * target matching, freezing, saving, loading, merging and PEFT export for every method through it; a new method
 * implements this, its {@link AdapterConfig} and its {@link AdapterLayer}, and adds one line to
 * {@link AdapterMethods}.
 */
public interface AdapterMethod {
    /** The registry name, also written as {@code sara4j.method} in {@code adapter_config.json}. */
    String name();

    /**
     * Whether this method reads the given config. The registry asks the methods in order, so one method may claim
     * PEFT configs of a {@code peft_type} (LoRA claims {@code LORA} without a {@code sara4j} section).
     */
    boolean reads(PeftConfig file);

    /** The typed configuration; a config this method cannot honour is an error naming the field. */
    AdapterConfig readConfig(PeftConfig file);

    /**
     * A new adapter around {@code base}, which lives at dotted path {@code module}.
     *
     * @param init fresh random initialisation (with the SVD where the method needs it), or zero-filled tensors of
     *     the right shapes that the loader then overwrites
     */
    AdapterLayer newLayer(String module, Linear base, AdapterConfig config, LayerInit init);

    /**
     * A new configuration from user options, applying this method's defaults to what is unset; an option this
     * method does not take (say {@code threshold} for LoRA) is an error naming it.
     */
    default AdapterConfig configure(AdapterOptions options) {
        throw new UnsupportedOperationException("method " + name() + " cannot be configured from options yet");
    }

    /**
     * Work this method needs after every optimizer update of {@code adapter} (SoRA's proximal step on its gates);
     * none by default. The training loop runs them through {@link AdaptedModel#stepHooks()}.
     */
    default List<StepHook> stepHooks(AdaptedModel adapter) {
        return List.of();
    }
}
