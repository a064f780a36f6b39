package ai.sara4j.examples;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.model.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code --model DIR [--adapter A] [--device D]}: a Hugging Face model with an optional adapter loaded onto it. */
final class ModelOptions {
    private static final Logger LOG = LoggerFactory.getLogger(ModelOptions.class);

    @Option(names = "--model", description = "Hugging Face model folder (config.json, safetensors, tokenizer.json); "
            + "default: the base_model_name_or_path the --adapter records, when that is a folder.")
    Path model;

    @Option(names = "--adapter", description = "Adapter folder (SARA4J's or a PEFT LoRA adapter) to load onto the model.")
    Path adapter;

    @Mixin
    DeviceOption device;

    /** A loaded model and, when {@code --adapter} was given, the adapter injected into it. */
    record Loaded(LanguageModel lm, AdaptedModel adapter) implements AutoCloseable {
        @Override
        public void close() {
            lm.close();
        }
    }

    /** The model folder: {@code --model}, else the base model the adapter was trained on. */
    Path modelFolder() throws IOException {
        if (model != null) {
            return model;
        }
        String base = adapter == null ? null : PeftConfig.read(adapter).baseModelNameOrPath();
        if (base == null || !Files.isDirectory(Path.of(base))) {
            throw new IllegalArgumentException("--model is required"
                    + (adapter == null ? "" : " (" + adapter + " records no base model folder)"));
        }
        return Path.of(base);
    }

    /** Loads the model on the chosen device, then the adapter if any. */
    Loaded load() throws IOException {
        LanguageModel lm = LanguageModel.load(modelFolder(), device.device());
        try {
            AdaptedModel injected = null;
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
