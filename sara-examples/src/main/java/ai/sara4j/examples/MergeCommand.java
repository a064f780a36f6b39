package ai.sara4j.examples;

import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.djl.adapter.MergedCheckpointWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./sara merge}: fold an adapter into the base weights and write a plain Hugging Face checkpoint. */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a Hugging Face checkpoint (config.json, safetensors, tokenizer files) with the adapter "
                + "folded into the base weights: transformers loads it with the logits of base + adapter.",
            "LoRA, SARA, SoRA and EDoRA merge exactly; Mo-SARA cannot (its router depends on the input)."})
final class MergeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--out", required = true, description = "Output folder: new, empty, or an earlier merge output "
            + "(written to a temporary sibling, then renamed).")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Override
    public Integer call() throws Exception {
        if (model.adapter == null) {
            throw new IllegalArgumentException("--adapter is required: merge folds an adapter into the model");
        }
        Path base = model.modelFolder();
        OutputFolder output = OutputFolder.of("merge", "./sara merge").withInput("--model", base)
                .withInput("--adapter", model.adapter).withOverwrite(overwrite.overwrite);
        output.check(out);
        try (ModelOptions.Loaded loaded = model.load()) {
            output.write(out, tmp -> MergedCheckpointWriter.write(base, loaded.adapter(), tmp));
        }
        System.out.println("merged checkpoint: " + out.toAbsolutePath());
        return 0;
    }
}
