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
    /**
     * The registry name, also written as {@code sara4j.method} in {@code adapter_config.json}.
     *
     * @return e.g. {@code "lora"}, {@code "sara"}, {@code "mosara"}, {@code "sora"}, {@code "edora"}
     */
    String name();

    /**
     * Whether this method reads the given config. The registry asks the methods in order, so one method may claim
     * PEFT configs of a {@code peft_type} (LoRA claims {@code LORA} without a {@code sara4j} section).
     *
     * @param file a parsed {@code adapter_config.json}
     * @return true when this method is the one to read it
     */
    boolean reads(PeftConfig file);

    /**
     * The typed configuration of a file this method {@link #reads}.
     *
     * @param file a parsed {@code adapter_config.json}
     * @return the method's own {@link AdapterConfig}
     * @throws IllegalArgumentException for a config this method cannot honour (a PEFT option it does not implement,
     *     a value out of range), naming the field
     */
    AdapterConfig readConfig(PeftConfig file);

    /**
     * A new adapter around {@code base}, which lives at dotted path {@code module}.
     *
     * @param module the dotted module path, e.g. {@code model.layers.0.self_attn.q_proj}, for per-module ranks and
     *     messages
     * @param base the frozen Linear the adapter adds its path to
     * @param config this method's configuration (the class {@link #readConfig} and {@link #configure} return)
     * @param init fresh random initialisation (with the SVD where the method needs it), or zero-filled tensors of
     *     the right shapes that the loader then overwrites
     * @return the layer, its tensors allocated on the base weight's device
     */
    AdapterLayer newLayer(String module, Linear base, AdapterConfig config, LayerInit init);

    /**
     * A new configuration from user options, applying this method's defaults to what is unset; an option this
     * method does not take (say {@code threshold} for LoRA) is an error naming it.
     *
     * @param options the user's options (command line or builder)
     * @return the method's own {@link AdapterConfig}
     * @throws IllegalArgumentException for an option this method does not take or a value out of range, naming it
     * @throws UnsupportedOperationException by default, for a method that has no options form
     */
    default AdapterConfig configure(AdapterOptions options) {
        throw new UnsupportedOperationException("method " + name() + " cannot be configured from options yet");
    }

    /**
     * Work this method needs after every optimizer update of {@code adapter} (SoRA's proximal step on its gates);
     * none by default. The training loop runs them through {@link AdaptedModel#stepHooks()}.
     *
     * @param adapter the adapted model being trained
     * @return the hooks, in the order to run them
     */
    default List<StepHook> stepHooks(AdaptedModel adapter) {
        return List.of();
    }
}
