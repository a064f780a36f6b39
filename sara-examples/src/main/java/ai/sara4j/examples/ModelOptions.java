package ai.sara4j.examples;

import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.InjectedAdapter;
import ai.sara4j.djl.model.LanguageModel;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code --model DIR [--adapter A] [--device D]}: a Hugging Face model with an optional adapter loaded onto it. */
final class ModelOptions {
    private static final Logger LOG = LoggerFactory.getLogger(ModelOptions.class);

    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json, safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--adapter", description = "Adapter folder (SARA4J's or a PEFT LoRA adapter) to load onto the model.")
    Path adapter;

    @Mixin
    DeviceOption device;

    /** A loaded model and, when {@code --adapter} was given, the adapter injected into it. */
    record Loaded(LanguageModel lm, InjectedAdapter adapter) implements AutoCloseable {
        @Override
        public void close() {
            lm.close();
        }
    }

    /** Loads the model on the chosen device, then the adapter if any. */
    Loaded load() throws IOException {
        LanguageModel lm = LanguageModel.load(model, device.device());
        try {
            InjectedAdapter injected = null;
            if (adapter != null) {
                injected = Adapters.load(lm.model(), adapter);
                LOG.info("adapter {} loaded onto {} modules", adapter, injected.layers().size());
            }
            return new Loaded(lm, injected);
        } catch (IOException | RuntimeException e) {
            lm.close();
            throw e;
        }
    }
}
