package ai.sara4j.examples;

import ai.sara4j.core.data.AlpacaRecord;
import ai.sara4j.core.data.DataFormat;
import ai.sara4j.core.data.DatasetException;
import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.data.LlmAdaptersData;
import ai.sara4j.core.data.PromptTemplate;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.djl.adapter.mosara.GateRecorder;
import ai.sara4j.djl.adapter.mosara.GateStatistics;
import ai.sara4j.djl.adapter.mosara.MoSaraConfig;
import ai.sara4j.djl.eval.Evaluator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./sara routes}: Mo-SARA's routing maps as in the SARA paper (§5.8, Figure 7, Appendix D): the first question
 * of each test set goes through the model once (the first pass of generation, over the whole prompt), and each
 * module's gate is averaged over batch and length; one heatmap (layers × heads) per target kind and test set.
 */
@Command(name = "routes", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Routing maps of a Mo-SARA adapter (the SARA paper's Figure 7): the router's gate averaged over"
                + " the tokens of the first question of each test set, per adapted module and head, drawn as"
                + " heatmaps (layers x heads), one per target kind and test set."})
final class RoutesCommand implements Callable<Integer> {
    /** The test-set file a folder of {@code --per-task} holds, as LLM-Adapters lays them out. */
    static final String TEST_FILE = "test.json";

    @Mixin
    ModelOptions model;

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Test sets, one of:%n")
    Sets sets;

    static final class Sets {
        @Option(names = "--data", description = "One test set: LLM-Adapters JSON or E2E 'mr||text' lines.")
        Path data;

        @Option(names = "--per-task", paramLabel = "DIR", description = "A folder of test sets, DIR/<task>/" + TEST_FILE
                + " as in LLM-Adapters' dataset folder: one map per task, in name order.")
        Path perTask;
    }

    @Option(names = "--format", description = "alpaca or e2e (default: alpaca for .json files, else e2e).")
    String format;

    @Option(names = "--out", description = "The heatmaps (.png or .svg; one row per test set, one panel per target"
            + " kind; written atomically, replaces an earlier file, never an input).")
    Path out;

    @Option(names = "--json", description = "The mean gates as JSON (written atomically, replaces an earlier file,"
            + " never an input).")
    Path json;

    /** One test set: its name, file and the prompt of its first question. */
    record TestSet(String name, Path file, String prompt) {}

    @Override
    public Integer call() throws Exception {
        if (out == null && json == null) {
            throw new IllegalArgumentException("give --out (the heatmaps) or --json (the numbers), or both");
        }
        if (model.adapter == null) {
            throw new IllegalArgumentException("--adapter is required: routing maps need a Mo-SARA adapter");
        }
        String type = PeftConfig.read(model.adapter).peftType();
        if (!MoSaraConfig.METHOD.equalsIgnoreCase(type)) {
            throw new IllegalArgumentException("--adapter " + model.adapter + " is a " + type + " adapter; only"
                    + " Mo-SARA (peft_type MOSARA) has a router to map");
        }
        if (out != null && json != null && out.toAbsolutePath().normalize().equals(json.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--out and --json are the same file: " + out);
        }
        Path input = sets.data != null ? sets.data : sets.perTask;
        OutputFolder rule = OutputFolder.of("routes", "./sara routes").withInput("--model", model.modelFolder())
                .withInput("--adapter", model.adapter).withInput(sets.data != null ? "--data" : "--per-task", input);
        if (out != null) {
            Charts.checkImageName(out);
            rule.withOption("--out").checkFile(out);
        }
        if (json != null) {
            rule.withOption("--json").checkFile(json);
        }
        List<TestSet> testSets = testSets();
        Map<TestSet, GateStatistics> maps = new LinkedHashMap<>();
        try (ModelOptions.Loaded loaded = model.load(); GateRecorder gates = GateRecorder.attach(loaded.adapter())) {
            for (TestSet set : testSets) {
                gates.reset();
                loaded.lm().logits(set.prompt()); // one pass over the prompt: generation's first
                maps.put(set, gates.statistics());
            }
        }
        if (json != null) {
            AtomicFiles.writeString(json, Json.MAPPER.writeValueAsString(toJson(maps)) + "\n");
        }
        if (out != null) {
            draw(maps, out);
        }
        GateStatistics first = maps.values().iterator().next();
        System.out.println(String.format(Locale.ROOT, "routing of %d modules x %d heads on %d test set(s)",
                first.modules().size(), first.heads(), maps.size())
                + " -> " + Stream.of(out, json).filter(p -> p != null).map(Path::toString)
                        .collect(java.util.stream.Collectors.joining(", ")));
        return 0;
    }

    /** The test sets named by {@code --data} or found in {@code --per-task}, with their first question. */
    private List<TestSet> testSets() throws IOException {
        if (sets.data != null) {
            return List.of(testSet(Evaluator.datasetName(sets.data), sets.data));
        }
        if (!Files.isDirectory(sets.perTask)) {
            throw new IllegalArgumentException("--per-task " + sets.perTask + " is not a folder");
        }
        List<Path> folders;
        try (Stream<Path> children = Files.list(sets.perTask)) {
            folders = children.filter(p -> Files.isRegularFile(p.resolve(TEST_FILE))).sorted().toList();
        }
        if (folders.isEmpty()) {
            throw new IllegalArgumentException("--per-task " + sets.perTask + " has no <task>/" + TEST_FILE
                    + " (a folder per test set, as LLM-Adapters' dataset folder)");
        }
        List<TestSet> out = new ArrayList<>();
        for (Path folder : folders) {
            out.add(testSet(folder.getFileName().toString(), folder.resolve(TEST_FILE)));
        }
        return out;
    }

    /** The first question of {@code file}, prompted as {@code ./sara eval} prompts it. */
    private TestSet testSet(String name, Path file) throws DatasetException {
        DataFormat dataFormat = format == null ? DataFormat.detect(file) : DataFormat.parse(format);
        String prompt;
        if (dataFormat == DataFormat.ALPACA) {
            List<AlpacaRecord> records = LlmAdaptersData.read(file);
            if (records.isEmpty()) {
                throw new DatasetException(file + ": no records");
            }
            prompt = records.get(0).prompt(PromptTemplate.EVALUATION);
        } else {
            prompt = E2eData.group(E2eData.read(file)).get(0).prompt();
        }
        return new TestSet(name, file, prompt);
    }

    private ObjectNode toJson(Map<TestSet, GateStatistics> maps) throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("model", model.modelFolder().toString());
        root.put("adapter", model.adapter.toString());
        root.put("heads", maps.values().iterator().next().heads());
        ArrayNode tasks = root.putArray("tasks");
        maps.forEach((set, stats) -> {
            ObjectNode task = tasks.addObject();
            task.put("name", set.name());
            task.put("data", set.file().toString());
            ObjectNode modules = task.putObject("modules");
            for (String module : stats.modules()) {
                ObjectNode m = modules.putObject(module);
                m.put("tokens", stats.tokens(module));
                ArrayNode gate = m.putArray("gate");
                for (double g : stats.mean(module)) {
                    gate.add(g);
                }
            }
            ObjectNode kinds = task.putObject("kinds");
            stats.byKind().forEach((kind, layers) -> {
                ObjectNode k = kinds.putObject(kind);
                ArrayNode index = k.putArray("layers");
                ArrayNode gates = k.putArray("gates");
                layers.forEach((layer, values) -> {
                    index.add(layer);
                    ArrayNode row = gates.addArray();
                    for (double g : values) {
                        row.add(g);
                    }
                });
            });
        });
        return root;
    }

    /** One row per test set, one panel per target kind: layers (y) × heads (x). */
    private static void draw(Map<TestSet, GateStatistics> maps, Path out) throws IOException {
        List<Charts.Heatmap> panels = new ArrayList<>();
        int kinds = 0;
        for (Map.Entry<TestSet, GateStatistics> e : maps.entrySet()) {
            Map<String, SortedMap<Integer, double[]>> byKind = e.getValue().byKind();
            kinds = Math.max(kinds, byKind.size());
            List<Integer> heads = new ArrayList<>();
            for (int h = 1; h <= e.getValue().heads(); h++) {
                heads.add(h);
            }
            byKind.forEach((kind, layers) -> panels.add(new Charts.Heatmap(e.getKey().name() + " - " + kind, "head",
                    heads, "layer", List.copyOf(layers.keySet()), layers.values().toArray(double[][]::new))));
        }
        if (panels.isEmpty()) {
            throw new IllegalArgumentException("--out: no adapted module has a layer index to plot");
        }
        Charts.heatmaps(out, panels, kinds);
    }
}
