package ai.sara4j.examples;

import ai.sara4j.core.io.OutputFolder;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./sara logits}: the model's logits for a prompt, as safetensors (for comparisons with transformers). */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Write the prompt's token ids (input_ids [T] I64) and the logits (logits [T, vocab] F32) as safetensors.")
final class LogitsCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--prompt", required = true, description = "Text to score.")
    String prompt;

    @Option(names = "--out", required = true, description = "Output .safetensors file (written atomically; replaces "
            + "an earlier file, never an input).")
    Path out;

    @Override
    public Integer call() throws Exception {
        OutputFolder.of("logits", "./sara logits").withInput("--model", model.modelFolder())
                .withInput("--adapter", model.adapter).checkFile(out);
        try (ModelOptions.Loaded loaded = model.load()) {
            loaded.lm().logits(prompt).write(out);
        }
        return 0;
    }
}
