package ai.sara4j.examples;

import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.djl.eval.EvalReport;
import ai.sara4j.djl.eval.EvalTask;
import ai.sara4j.djl.eval.Evaluator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./sara eval}: greedy decoding on a math, commonsense or E2E set, scored as in the SARA paper. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a model, optionally with an adapter, and write the metrics and outputs as JSON.",
            "math/choice: LLM-Adapters JSON (accuracy, per-example predictions); "
                    + "e2e: 'mr||text' lines (BLEU, ROUGE-L, NIST, CIDEr; no METEOR, it needs WordNet; "
                    + "one hypothesis per distinct MR)."})
final class EvalCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--data", required = true, description = "Test data: LLM-Adapters JSON (math, choice) or E2E lines (e2e).")
    Path data;

    @Option(names = "--task", required = true, description = "math, choice or e2e.")
    String task;

    @Option(names = "--limit", defaultValue = "0", description = "Only the first N examples (e2e: distinct meaning representations); 0 = all.")
    int limit;

    @Option(names = "--batch-size", defaultValue = "8", description = "Prompts decoded together (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--max-new-tokens", defaultValue = "0",
            description = "Generation budget per prompt; 0 = the task's default (math 256, choice 32, e2e 64).")
    int maxNewTokens;

    @Option(names = "--out", required = true, description = "Output JSON file (written atomically; replaces an "
            + "earlier file, never an input).")
    Path out;

    @Override
    public Integer call() throws Exception {
        EvalTask evalTask = EvalTask.parse(task);
        NumericOptions.atLeast("--limit", limit, 0);
        NumericOptions.atLeast("--batch-size", batchSize, 1);
        NumericOptions.atLeast("--max-new-tokens", maxNewTokens, 0);
        OutputFolder.of("eval", "./sara eval").withInput("--model", model.modelFolder())
                .withInput("--adapter", model.adapter).withInput("--data", data).checkFile(out);
        EvalReport report;
        try (ModelOptions.Loaded loaded = model.load(); ProgressBar bar = ProgressBars.create("eval", "examples")) {
            report = new Evaluator(loaded.lm(), batchSize, maxNewTokens).run(data, evalTask, limit, (done, total) -> {
                bar.maxHint(total);
                bar.stepTo(done);
            });
        }
        ObjectNode json = report.toJson(Json.MAPPER);
        json.put("model", model.modelFolder().toString());
        json.put("adapter", model.adapter == null ? null : model.adapter.toString());
        json.put("data", data.toString());
        AtomicFiles.writeString(out, Json.MAPPER.writeValueAsString(json) + "\n");
        System.out.println(summary(report) + " -> " + out);
        return 0;
    }

    private static String summary(EvalReport report) {
        if (report.task() == EvalTask.E2E) {
            return String.format(Locale.ROOT, "%s: BLEU %.2f, ROUGE-L %.2f, NIST %.4f, CIDEr %.4f on %d meaning"
                    + " representations", report.dataset(), report.metrics().get("bleu").doubleValue(),
                    report.metrics().get("rouge_l").doubleValue(), report.metrics().get("nist").doubleValue(),
                    report.metrics().get("cider").doubleValue(), report.hypotheses().size());
        }
        return String.format(Locale.ROOT, "%s: accuracy %.4f (%d/%d)", report.dataset(),
                report.metrics().get("accuracy").doubleValue(), report.metrics().get("correct").intValue(),
                report.metrics().get("count").intValue());
    }
}
