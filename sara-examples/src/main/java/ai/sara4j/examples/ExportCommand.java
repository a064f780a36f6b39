package ai.sara4j.examples;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./sara export}: an adapter in Hugging Face PEFT's format, for PEFT or vLLM users. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Export an adapter as a plain PEFT adapter folder: SARA and pruned SoRA as LoRA with per-module "
                + "rank_pattern/alpha_pattern (scaling 1), EDoRA as DoRA, LoRA as itself.",
            "Mo-SARA has no PEFT equivalent (its router depends on the input) and is refused."})
final class ExportCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--format", defaultValue = "peft", description = "Export format; only peft (default).")
    String format;

    @Option(names = "--out", required = true, description = "Output folder (written atomically).")
    Path out;

    @Option(names = "--base-name", description = "base_model_name_or_path to record (default: the --model folder).")
    String baseName;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("peft")) {
            throw new IllegalArgumentException("--format must be peft, not '" + format + "'");
        }
        if (model.adapter == null) {
            throw new IllegalArgumentException("--adapter is required: export converts an adapter");
        }
        try (ModelOptions.Loaded loaded = model.load()) {
            loaded.adapter().exportPeft(out, baseName != null ? baseName : model.modelFolder().toString());
        }
        System.out.println("PEFT adapter: " + out.toAbsolutePath());
        return 0;
    }
}
