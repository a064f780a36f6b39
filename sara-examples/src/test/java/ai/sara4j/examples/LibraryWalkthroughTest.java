package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Record;
import ai.djl.translate.Batchifier;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.AdaptedLinear;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.model.Completion;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.nn.Modules;
import ai.sara4j.examples.library.AnyDjlModel;
import ai.sara4j.examples.library.FineTune;
import ai.sara4j.examples.library.NamedAdapters;
import ai.sara4j.examples.library.QuickStart;
import ai.sara4j.examples.library.UseAdapter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/library.md and the example classes it quotes ({@code ai.sara4j.examples.library}): every Java block of the
 * page equals the region of an example source it names, and the examples do what the page says, on
 * tinystories-656k with E2E lines (skipped when {@code ../shared} is absent) and on a toy classifier.
 */
class LibraryWalkthroughTest {
    private static final Path MODULE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    private static final Path DOC = MODULE.resolveSibling("docs").resolve("library.md");
    private static final Path EXAMPLES = MODULE.resolve("src/main/java/ai/sara4j/examples/library");
    private static final Pattern REGION_START = Pattern.compile("\\s*// \\[walkthrough:([\\w-]+)]\\s*");
    private static final Pattern REGION_END = Pattern.compile("\\s*// \\[end]\\s*");
    private static final Pattern JAVA_FENCE = Pattern.compile("```java(?:\\s+walkthrough:([\\w-]+))?\\s*");
    /** Must equal PROMPT in tools/fixtures/make_adapter_fixtures.py (the PEFT fixture's expected logits). */
    private static final String FIXTURE_PROMPT = "Once upon a time, there was a little dog named Max.";

    /** The regions {@code // [walkthrough:NAME]} … {@code // [end]} of the example sources, dedented, by name. */
    static Map<String, String> sourceRegions() throws IOException {
        Map<String, String> regions = new LinkedHashMap<>();
        List<Path> sources;
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        for (Path source : sources) {
            List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher start = REGION_START.matcher(lines.get(i));
                if (!start.matches()) {
                    continue;
                }
                int end = i + 1;
                while (end < lines.size() && !REGION_END.matcher(lines.get(end)).matches()) {
                    assertFalse(REGION_START.matcher(lines.get(end)).matches(),
                            source.getFileName() + ":" + (end + 1) + ": region " + start.group(1) + " not ended");
                    end++;
                }
                assertTrue(end < lines.size(), source.getFileName() + ": region " + start.group(1) + " has no end");
                String previous = regions.put(start.group(1), dedent(lines.subList(i + 1, end)));
                assertEquals(null, previous, "region " + start.group(1) + " defined twice");
                i = end;
            }
        }
        return regions;
    }

    private static String dedent(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return String.join("\n", lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList());
    }

    /**
     * Every Java block of docs/library.md names a region ({@code ```java walkthrough:NAME}) and equals it, and every
     * region is shown there; the README and the user guide quote the quick start (and the user guide the custom
     * block's training) the same way. A failure prints the region as it is now, to paste into the page.
     */
    @Test
    void everyQuotedBlockIsTheCurrentExampleSource() throws IOException {
        Map<String, String> regions = sourceRegions();
        assertTrue(regions.size() >= 10, "regions found: " + regions.keySet());
        List<String> shown = checkQuotes(DOC, regions, true);
        List<String> missing = regions.keySet().stream().filter(r -> !shown.contains(r)).toList();
        assertEquals(List.of(), missing, "regions of the examples that docs/library.md does not show");
        assertEquals(List.of("quick-start"), checkQuotes(MODULE.resolveSibling("README.md"), regions, false));
        assertEquals(List.of("quick-start", "any-trainer"),
                checkQuotes(DOC.resolveSibling("user-guide.md"), regions, false));
    }

    /**
     * Checks each Java block of {@code doc} tagged {@code walkthrough:NAME} against the region NAME.
     *
     * @param allTagged whether a Java block without a tag is an error
     * @return the regions shown, in page order
     */
    private static List<String> checkQuotes(Path doc, Map<String, String> regions, boolean allTagged)
            throws IOException {
        String page = MODULE.getParent().relativize(doc).toString();
        List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher fence = JAVA_FENCE.matcher(lines.get(i));
            if (!fence.matches()) {
                continue;
            }
            String name = fence.group(1);
            int end = i + 1;
            while (end < lines.size() && !lines.get(end).equals("```")) {
                end++;
            }
            if (name != null) {
                String block = String.join("\n", lines.subList(i + 1, end));
                assertTrue(regions.containsKey(name), page + ":" + (i + 1) + ": no region '" + name
                        + "' in the examples " + regions.keySet());
                assertEquals(regions.get(name), block, page + ":" + (i + 1) + ": block '" + name
                        + "' differs from its example source; the source region now reads:\n" + regions.get(name));
                shown.add(name);
            } else if (allTagged) {
                fail(page + ":" + (i + 1) + ": a Java block without 'walkthrough:NAME' (every Java block is quoted "
                        + "from an example class)");
            }
            i = end;
        }
        return shown;
    }

    /**
     * The whole walk-through on tinystories-656k: the loss falls, the adapter changes the outputs, the reloaded
     * adapter gives the trained model's logits bit for bit, the PEFT export and the merged checkpoint give them to
     * float32 rounding, merge-and-unload leaves plain Linears giving base + adapter, named adapters switch (the PEFT
     * adapter gives PEFT's own logits), and per-row generation gives each row its adapter's text.
     */
    @Test
    void walkThroughOnTinyStories(@TempDir Path tmp) throws Exception {
        Path model = SharedData.tinyStories();
        Path data = SharedData.require("data/e2e/valid.txt");
        Path out = tmp.resolve("out");
        String prompt = UseAdapter.PROMPT;
        GenerationOptions greedy = GenerationOptions.greedy(24);
        try (LanguageModel lm = LanguageModel.load(model);
                LanguageModel fresh = LanguageModel.load(model);
                LanguageModel named = LanguageModel.load(model)) {
            float[] base = lm.logits(prompt).logits();
            List<Double> losses = new ArrayList<>();
            AdaptedModel trained = FineTune.fineTune(lm, data, out, m -> losses.add(m.loss()));

            // 8 updates of 8 over 32 examples: two epochs, each seeing every example once
            assertEquals(8, losses.size());
            double first = losses.subList(0, 4).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double second = losses.subList(4, 8).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertTrue(second < first - 0.1, "mean loss of epoch 2 " + second + " vs epoch 1 " + first);
            float[] adapted = lm.logits(prompt).logits();
            assertFalse(Arrays.equals(base, adapted), "the trained adapter changes the logits");
            Path adapterDir = out.resolve("adapter");
            assertTrue(Files.isRegularFile(adapterDir.resolve("adapter_config.json")));

            // reload onto a fresh model: the same logits, bit for bit
            AdaptedModel reloaded = UseAdapter.reload(fresh, adapterDir);
            assertArrayEquals(adapted, fresh.logits(prompt).logits(), 0f);

            // PEFT export and merged checkpoint: the same update, to float32 rounding
            UseAdapter.export(reloaded, model, out);
            PeftConfig peft = PeftConfig.read(out.resolve("peft").resolve("adapter_config.json"));
            assertEquals("LORA", peft.peftType());
            assertTrue(Files.isRegularFile(out.resolve("peft").resolve("adapter_model.safetensors")));
            try (LanguageModel merged = LanguageModel.load(out.resolve("merged"));
                    LanguageModel viaPeft = LanguageModel.load(model)) {
                assertArrayEquals(adapted, merged.logits(prompt).logits(), 1e-4f, "merged checkpoint");
                Adapters.load(viaPeft.model(), out.resolve("peft"));
                assertArrayEquals(adapted, viaPeft.logits(prompt).logits(), 1e-4f, "exported PEFT LoRA");
            }

            // merge-and-unload: plain Linears holding W0 + ΔW give base + adapter
            Block plain = UseAdapter.mergeAndUnload(fresh, reloaded);
            assertSame(fresh.model(), plain);
            Modules.named(plain).forEach((path, b) -> assertFalse(b instanceof AdaptedLinear, path));
            assertArrayEquals(adapted, fresh.logits(prompt).logits(), 1e-4f, "merged in memory");

            // named adapters: ours and a PEFT LoRA made in Python
            Path peftLora = AdapterCommandsTest.fixture("lora_rslora", tmp);
            AdaptedModel two = NamedAdapters.load(named, adapterDir, peftLora);
            assertEquals(List.of("default", "second"), two.adapterNames());
            assertEquals("second", two.activeAdapter());
            try (SafetensorsFile expected = SafetensorsFile.open(peftLora.resolve("expected.safetensors"))) {
                assertArrayEquals(expected.readFloats("logits"), named.logits(FIXTURE_PROMPT).logits(), 1e-4f,
                        "the PEFT adapter gives PEFT's logits");
            }
            String secondText = named.generate(prompt, greedy).text();
            two.setAdapter("default");
            assertArrayEquals(adapted, named.logits(prompt).logits(), 0f, "switched back to ours");
            two.setAdapter("second");
            try (AdaptedModel.Scope off = two.disabled()) {
                assertArrayEquals(base, named.logits(prompt).logits(), 0f, "every adapter off");
            }

            // per-row: each row of one batch through its own adapter, as each generated alone
            List<String> rows = NamedAdapters.side(named, two, prompt).stream().map(Completion::text).toList();
            String ours = lm.generate(prompt, greedy).text();
            String baseText;
            try (AdaptedModel.Scope off = trained.disabled()) {
                baseText = lm.generate(prompt, greedy).text();
            }
            assertEquals(List.of(ours, secondText, baseText), rows);
            assertEquals(3, new HashSet<>(rows).size(), "three different texts: " + rows);
        }
    }

    /**
     * The quick start with the paper's recipe on 16 E2E lines (3 epochs of one batch): the saved adapter loads and is
     * trained: its logits differ from those of the same adapter freshly injected (same config, same seed).
     */
    @Test
    void quickStart(@TempDir Path tmp) throws Exception {
        Path model = SharedData.tinyStories();
        Path data = tmp.resolve("e2e16.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt"), StandardCharsets.UTF_8)
                .subList(0, 16));
        Path adapter = tmp.resolve("adapter");
        QuickStart.fineTune(model, data, adapter);
        try (LanguageModel trained = LanguageModel.load(model); LanguageModel initial = LanguageModel.load(model)) {
            AdaptedModel loaded = Adapters.load(trained.model(), adapter);
            Adapters.inject(initial.model(), loaded.config());
            assertFalse(Arrays.equals(initial.logits(UseAdapter.PROMPT).logits(),
                    trained.logits(UseAdapter.PROMPT).logits()), "training moved the adapter");
        }
    }

    /** SARA4J's trainer on a custom block: the loss falls, the base weights do not move, only the adapter does. */
    @Test
    void anyDjlModelWithTheTrainer() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            AnyDjlModel.Mlp mlp = initialised(manager);
            Map<Parameter, float[]> before = values(mlp);
            List<Record> examples = AnyDjlModel.records(manager, AnyDjlModel.toyData(manager, 256, 7));
            List<Double> losses = new ArrayList<>();
            AdaptedModel adapted = AnyDjlModel.trainWithSara4j(mlp, examples, m -> losses.add(m.loss()));
            // 5 epochs of 16 updates
            assertEquals(80, losses.size());
            double first = losses.subList(0, 16).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double last = losses.subList(64, 80).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertTrue(last < 0.6 * first, "mean loss of the last epoch " + last + " vs the first " + first);
            assertOnlyTheAdapterMoved(adapted, before);
        }
    }

    /** DJL's EasyTrain on a custom block: the loss over the data falls, only the adapter moves. */
    @Test
    void anyDjlModelWithEasyTrain() throws Exception {
        try (Model model = Model.newInstance("mlp")) {
            NDManager manager = model.getNDManager();
            AnyDjlModel.Mlp mlp = initialised(manager);
            model.setBlock(mlp);
            ArrayDataset data = AnyDjlModel.toyData(manager, 256, 7);
            List<Record> examples = AnyDjlModel.records(manager, data);
            double lossBefore = meanLoss(manager, mlp, examples);
            Map<Parameter, float[]> before = values(mlp);
            AdaptedModel adapted = AnyDjlModel.trainWithEasyTrain(model, mlp, data);
            double lossAfter = meanLoss(manager, mlp, examples);
            assertTrue(lossAfter < 0.6 * lossBefore, "loss " + lossBefore + " -> " + lossAfter);
            assertOnlyTheAdapterMoved(adapted, before);
        }
    }

    private static AnyDjlModel.Mlp initialised(NDManager manager) {
        AnyDjlModel.Mlp mlp = new AnyDjlModel.Mlp();
        mlp.initialize(manager, DataType.FLOAT32, new Shape(1, AnyDjlModel.FEATURES));
        return mlp;
    }

    private static Map<Parameter, float[]> values(Block block) {
        Map<Parameter, float[]> out = new IdentityHashMap<>();
        block.getParameters().values().forEach(p -> out.put(p, p.getArray().toFloatArray()));
        return out;
    }

    private static void assertOnlyTheAdapterMoved(AdaptedModel adapted, Map<Parameter, float[]> base) {
        base.forEach((p, values) -> assertArrayEquals(values, p.getArray().toFloatArray(), 0f, p.getName()));
        List<Parameter> trainable = adapted.trainableParameters();
        assertFalse(trainable.isEmpty());
        trainable.forEach(p -> assertFalse(base.containsKey(p), p.getName() + " is an adapter tensor"));
    }

    /** Softmax cross-entropy of the block over all examples at once, computed here from the logits. */
    private static double meanLoss(NDManager manager, Block block, List<Record> examples) {
        try (NDManager scope = manager.newSubManager()) {
            NDList x = Batchifier.STACK.batchify(examples.stream().map(Record::getData).toArray(NDList[]::new));
            NDList y = Batchifier.STACK.batchify(examples.stream().map(Record::getLabels).toArray(NDList[]::new));
            x.attach(scope);
            y.attach(scope);
            NDArray logits = block.forward(new ParameterStore(scope, false), x, false).head();
            float[] z = logits.toFloatArray();
            long[] labels = y.head().toLongArray();
            int classes = AnyDjlModel.CLASSES;
            double sum = 0;
            for (int i = 0; i < labels.length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < classes; c++) {
                    max = Math.max(max, z[i * classes + c]);
                }
                double norm = 0;
                for (int c = 0; c < classes; c++) {
                    norm += Math.exp(z[i * classes + c] - max);
                }
                sum += max + Math.log(norm) - z[i * classes + (int) labels[i]];
            }
            return sum / labels.length;
        }
    }
}
