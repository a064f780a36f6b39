package ai.sara4j.examples;

import ai.djl.Device;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.model.Completion;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.TrainingRun;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./sara demo}: the whole workflow in a few minutes on a laptop CPU, with no download. It builds a small
 * LLaMA-shaped model, teaches it a base task (addition of digits mod 10, through a LoRA merged into the weights),
 * then fine-tunes it with SARA on a related task (subtraction mod 10) and shows the rank plan, the loss falling,
 * accuracy before and after, and that the merged model answers exactly as base + adapter. Each step runs the same
 * {@code ./sara} command a user would; they are printed as they run.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build a small LLaMA-shaped model, teach it a base task, fine-tune it with SARA on a related "
                + "task, evaluate, merge (no download; a few minutes on 2 CPU cores).",
            "With --model DIR the same fine-tuning, evaluation and merge run on a real checkpoint."})
final class DemoCommand implements Callable<Integer> {
    private static final String ALL_TARGETS = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";
    private static final DemoModel.Task BASE_TASK = new DemoModel.Task("add", Integer::sum);
    private static final DemoModel.Task NEW_TASK = new DemoModel.Task("sub", (a, b) -> a - b);

    @Option(names = "--out", defaultValue = "runs/demo", description = "Folder for everything the demo writes (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--model", description = "Run on this Hugging Face checkpoint instead of the built one (skips the base task).")
    Path model;

    @Option(names = "--threshold", defaultValue = "0.5", description = "SARA threshold (default ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--base-steps", defaultValue = "250", description = "Updates teaching the base task (default ${DEFAULT-VALUE}).")
    int baseSteps;

    @Option(names = "--sara-steps", defaultValue = "200", description = "SARA fine-tuning updates (default ${DEFAULT-VALUE}).")
    int saraSteps;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    OverwriteOption overwrite;

    /** Everything the demo writes in its folder besides the marker. */
    private static final List<String> OUTPUTS = List.of("data", "init-model", "base-run", "base-model", "ranks.png",
            "sara-run", "merged-model");

    @Override
    public Integer call() throws Exception {
        NumericOptions.share("--threshold", threshold);
        NumericOptions.atLeast("--base-steps", baseSteps, 1);
        NumericOptions.atLeast("--sara-steps", saraSteps, 1);
        prepareOutputFolder();
        Path data = out.resolve("data");
        Path baseData = data.resolve("add.txt");
        Path newData = data.resolve("sub.txt");
        AtomicFiles.writeString(baseData, String.join("\n", BASE_TASK.lines()) + "\n");
        AtomicFiles.writeString(newData, String.join("\n", NEW_TASK.lines()) + "\n");

        Path base = model;
        if (base == null) {
            Path init = out.resolve("init-model");
            section("1. Building a small LLaMA-shaped model (" + DemoModel.LAYERS + " layers, hidden "
                    + DemoModel.HIDDEN + ", word-level tokenizer) with random weights");
            DemoModel.write(init, seed);
            System.out.println("   " + init.toAbsolutePath());

            section("2. Teaching it the base task, 'add a b' → (a + b) mod 10: a LoRA on every projection, merged into"
                    + " the weights");
            Path baseRun = out.resolve("base-run");
            sara("finetune", "--model", init.toString(), "--data", baseData.toString(), "--method", "lora",
                    "--r", "16", "--alpha", "32", "--targets", ALL_TARGETS, "--lr", "3e-3", "--batch-size", "32",
                    "--max-steps", Integer.toString(baseSteps), "--warmup", "30", "--seed", Long.toString(seed),
                    "--out", baseRun.toString());
            base = out.resolve("base-model");
            sara("merge", "--model", init.toString(), "--adapter", baseRun.resolve(TrainingRun.ADAPTER).toString(),
                    "--out", base.toString());
            System.out.printf(Locale.ROOT, "   base task accuracy: %.0f%%%n",
                    100 * accuracy(answers(base, null, BASE_TASK), BASE_TASK));
        }

        double before = accuracy(answers(base, null, NEW_TASK), NEW_TASK);
        section("3. The related task, 'sub a b' → (a − b) mod 10: accuracy before fine-tuning "
                + String.format(Locale.ROOT, "%.0f%%", 100 * before));

        section("4. SARA's rank plan of the base weights at threshold " + threshold
                + " (k = smallest rank whose singular values reach that share of their sum)");
        Path chart = out.resolve("ranks.png");
        sara("plan", "--model", base.toString(), "--method", "sara", "--threshold", Double.toString(threshold),
                "--targets", ALL_TARGETS, "--chart", chart.toString());

        section("5. Fine-tuning SARA (U·diag(λ)·V per module, the base frozen) on the related task");
        Path saraRun = out.resolve("sara-run");
        Path adapter = saraRun.resolve(TrainingRun.ADAPTER);
        sara("finetune", "--model", base.toString(), "--data", newData.toString(), "--method", "sara",
                "--threshold", Double.toString(threshold), "--targets", ALL_TARGETS, "--lr", "3e-3",
                "--batch-size", "32", "--max-steps", Integer.toString(saraSteps), "--warmup", "30",
                "--seed", Long.toString(seed), "--out", saraRun.toString());
        List<JsonNode> metrics = TrainingRun.readMetrics(saraRun);
        System.out.printf(Locale.ROOT, "   training loss %.3f → %.3f over %d updates%n",
                metrics.get(0).path("loss").asDouble(), metrics.get(metrics.size() - 1).path("loss").asDouble(),
                metrics.size());
        List<String> withAdapter = answers(base, adapter, NEW_TASK);
        double after = accuracy(withAdapter, NEW_TASK);
        double kept = accuracy(answers(base, adapter, BASE_TASK), BASE_TASK);
        System.out.printf(Locale.ROOT, "   related task accuracy %.0f%% → %.0f%%; base task with the adapter %.0f%%%n",
                100 * before, 100 * after, 100 * kept);

        section("6. Merging the adapter into the base weights: a plain Hugging Face checkpoint");
        Path merged = out.resolve("merged-model");
        sara("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--out", merged.toString());
        List<String> fromMerged = answers(merged, null, NEW_TASK);
        long same = java.util.stream.IntStream.range(0, withAdapter.size())
                .filter(i -> withAdapter.get(i).equals(fromMerged.get(i))).count();
        System.out.printf(Locale.ROOT, "   the merged model gives the same answer as base + adapter on %d of %d "
                + "prompts%n", same, withAdapter.size());
        if (same != withAdapter.size()) {
            throw new IllegalStateException("merged model disagrees with base + adapter on "
                    + (withAdapter.size() - same) + " prompts");
        }

        section("Files");
        System.out.println("   data:            " + data.toAbsolutePath());
        System.out.println("   base model:      " + base.toAbsolutePath());
        System.out.println("   rank chart:      " + chart.toAbsolutePath());
        System.out.println("   SARA run:        " + saraRun.toAbsolutePath() + " (adapter/, metrics.jsonl, loss.png)");
        System.out.println("   merged model:    " + merged.toAbsolutePath());
        return 0;
    }

    /**
     * Claims {@code --out} as the demo's ({@link OutputFolder}): a new or empty folder is taken; a folder of an earlier
     * demo run loses what that run wrote, and only that; any other folder is refused (unless {@code --overwrite}),
     * since the demo would mix its files with someone else's.
     */
    private void prepareOutputFolder() throws IOException {
        OutputFolder.Found found = OutputFolder.of("demo", "./sara demo").withInput("--model", model)
                .withOverwrite(overwrite.overwrite).claim(out);
        if (found == OutputFolder.Found.EARLIER_OUTPUT) {
            System.out.println("Replacing the previous demo run in " + out.toAbsolutePath());
            for (String name : OUTPUTS) {
                AtomicFiles.delete(out.resolve(name));
            }
        }
    }

    private static void section(String title) {
        System.out.println();
        System.out.println(title);
    }

    /** Runs a {@code ./sara} command in this process, printing it first; a failure stops the demo. */
    private static void sara(String... args) {
        System.out.println("   $ ./sara " + String.join(" ", args));
        int code = SaraCli.run(args);
        if (code != 0) {
            throw new IllegalStateException("./sara " + args[0] + " failed with exit code " + code);
        }
    }

    /** Share of the task's prompts whose answer in {@code got} (from {@link #answers}) is right. */
    private static double accuracy(List<String> got, DemoModel.Task task) {
        List<String> lines = task.lines();
        int right = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (got.get(i).equals(lines.get(i).substring(lines.get(i).indexOf("||") + 2))) {
                right++;
            }
        }
        return right / (double) lines.size();
    }

    /** The first word the model generates for each of the task's prompts ({@code "op a b ||"}). */
    private static List<String> answers(Path model, Path adapter, DemoModel.Task task) throws IOException {
        List<String> prompts = new ArrayList<>();
        for (String line : task.lines()) {
            prompts.add(line.substring(0, line.indexOf("||")) + " ||");
        }
        try (LanguageModel lm = LanguageModel.load(model, Device.cpu())) {
            if (adapter != null) {
                Adapters.load(lm.model(), adapter);
            }
            List<String> answers = new ArrayList<>();
            for (Completion c : lm.generate(prompts, GenerationOptions.greedy(2))) {
                String text = c.text().strip();
                answers.add(text.isEmpty() ? "" : text.split("\\s+")[0]);
            }
            return answers;
        }
    }
}
