package ai.sara4j.examples;

import ai.sara4j.core.io.OutputFolder;
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

    @Option(names = "--out", required = true, description = "Output folder: new, empty, or an earlier export output "
            + "(written atomically).")
    Path out;

    @Mixin
    OverwriteOption overwrite;

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
        Path base = model.modelFolder();
        OutputFolder output = OutputFolder.of("export", "./sara export").withInput("--model", base)
                .withInput("--adapter", model.adapter).withOverwrite(overwrite.overwrite);
        output.check(out);
        try (ModelOptions.Loaded loaded = model.load()) {
            output.write(out, tmp -> loaded.adapter().exportPeft(tmp, baseName != null ? baseName : base.toString()));
        }
        System.out.println("PEFT adapter: " + out.toAbsolutePath());
        return 0;
    }
}
