package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.safetensors.TensorInfo;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.Adapters;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output folder of a training run (opt-in: {@link Trainer.Builder#runFolder}):
 *
 * <pre>
 * RUN/.lock                           the writer's pid, under an exclusive OS lock while a trainer writes the folder
 * RUN/run.json                        the fingerprint: every setting that determines the result
 * RUN/metrics.jsonl                   one JSON object per optimizer update
 * RUN/checkpoints/step-000200/        adapter/ (AdaptedModel.save), optimizer.safetensors, trainer_state.json
 * RUN/adapter/                        the final adapter (not written when every update was skipped)
 * </pre>
 *
 * Each checkpoint is written into a hidden temporary folder and renamed into place, then all but the newest
 * {@code keep} checkpoints are deleted, so a run killed at any moment keeps its last complete checkpoint; temporary
 * folders left by a killed writer are removed when the folder is next opened. On resume the newest checkpoint that
 * is intact (its state parses, its adapter and optimizer files open and hold every tensor) is restored, and
 * {@code metrics.jsonl} is cut back to its step (a half-written last line included), so the file again describes
 * exactly the updates the restored state has seen.
 */
public final class TrainingRun implements AutoCloseable {
    /** One JSON line per update. */
    public static final String METRICS_FILE = "metrics.jsonl";
    /** The folder of the checkpoints. */
    public static final String CHECKPOINTS = "checkpoints";
    /** The final adapter's folder. */
    public static final String ADAPTER = "adapter";
    /** The run's fingerprint. */
    public static final String RUN_FILE = "run.json";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String STATE_FILE = "trainer_state.json";

    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CHECKPOINT = Pattern.compile("step-\\d+");

    private final Path folder;
    private final RunLock lock;
    private BufferedWriter metrics;

    private TrainingRun(Path folder, RunLock lock) {
        this.folder = folder;
        this.lock = lock;
    }

    /**
     * Fails when a process (this one included) is training into {@code folder}: for a caller about to replace the
     * folder, which must not pull a live run's files from under it. A folder without a lock file is free.
     *
     * @param folder a run folder (it need not exist)
     * @throws IllegalStateException naming the writer's pid
     * @throws IOException when the lock file cannot be opened
     */
    public static void requireNoWriter(Path folder) throws IOException {
        if (Files.isRegularFile(folder.resolve(RunLock.FILE))) {
            RunLock.acquire(folder).close();
        }
    }

    /**
     * Opens (creating) the run folder for writing: takes its lock and removes temporary folders a killed writer
     * left.
     *
     * @throws IllegalStateException when another writer holds the folder
     */
    static TrainingRun open(Path folder) throws IOException {
        Files.createDirectories(folder);
        RunLock lock = RunLock.acquire(folder);
        try {
            removeTemporaries(folder);
            removeTemporaries(folder.resolve(CHECKPOINTS));
            return new TrainingRun(folder, lock);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static void removeTemporaries(Path dir) throws IOException {
        for (Path p : AtomicFiles.removeAllLeftovers(dir)) {
            LOG.info("removed {}: left by an interrupted write", p);
        }
    }

    /** @return the run folder */
    Path folder() {
        return folder;
    }

    /** The checkpoint folders, newest first. */
    List<Path> checkpoints() throws IOException {
        Path dir = folder.resolve(CHECKPOINTS);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(TrainingRun::stepOf).reversed()).toList();
        }
    }

    private static long stepOf(Path checkpoint) {
        return Long.parseLong(checkpoint.getFileName().toString().substring("step-".length()));
    }

    /** Whether the folder already holds a fingerprint, metrics or checkpoints of an earlier run. */
    boolean hasHistory() throws IOException {
        return Files.exists(folder.resolve(RUN_FILE)) || Files.exists(folder.resolve(METRICS_FILE))
                || !checkpoints().isEmpty();
    }

    /** Writes the fingerprint of a new run. */
    void writeFingerprint(Map<String, String> fingerprint) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.set("fingerprint", JSON.valueToTree(fingerprint));
        AtomicFiles.writeString(folder.resolve(RUN_FILE), JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsString(root) + "\n");
    }

    /**
     * Refuses to continue the run in this folder with other settings, naming the first one that differs.
     *
     * @throws IllegalStateException when the fingerprint is missing, unreadable or differs
     */
    void requireFingerprint(Map<String, String> fingerprint) throws IOException {
        Path file = folder.resolve(RUN_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " is missing: cannot check that the resumed run is the same run;"
                    + " start it again in a new folder");
        }
        Map<String, String> saved;
        try {
            saved = JSON.convertValue(JSON.readTree(file.toFile()).path("fingerprint"), new TypeReference<>() {});
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException(file + " is not a readable run fingerprint (" + reason(e) + ")");
        }
        if (saved == null) {
            throw new IllegalStateException(file + " has no fingerprint");
        }
        Set<String> names = new LinkedHashSet<>(saved.keySet());
        names.addAll(fingerprint.keySet());
        for (String name : names) {
            String was = saved.getOrDefault(name, "(not set)");
            String now = fingerprint.getOrDefault(name, "(not set)");
            if (!was.equals(now)) {
                throw new IllegalStateException("cannot resume " + folder + ": it was trained with " + name + " = "
                        + was + ", this run has " + name + " = " + now + " (" + file + "); resume with the same"
                        + " settings, or train in another folder");
            }
        }
    }

    /** Appends one update's metrics as a JSON line and flushes it. */
    void append(StepMetrics m) throws IOException {
        if (metrics == null) {
            metrics = Files.newBufferedWriter(folder.resolve(METRICS_FILE), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        metrics.write(JSON.writeValueAsString(toJson(m)));
        metrics.write('\n');
        metrics.flush();
    }

    /**
     * The metrics line of one update.
     *
     * @param m the update's metrics
     * @return its JSON object, as written to {@code metrics.jsonl}
     */
    public static ObjectNode toJson(StepMetrics m) {
        ObjectNode line = JSON.createObjectNode();
        line.put("step", m.step());
        line.put("epoch", m.epoch());
        line.put("loss", m.loss());
        line.put("lr", m.learningRate());
        line.put("grad_norm", m.gradNorm());
        line.put("tokens", m.tokens());
        line.put("tokens_per_s", m.tokensPerSecond());
        line.put("skipped", m.skipped());
        line.put("loss_scale", m.lossScale());
        m.hooks().forEach((k, v) -> line.put(k, v.doubleValue()));
        return line;
    }

    /**
     * Reads a run folder's {@code metrics.jsonl} (a torn last line is ignored); needs no lock.
     *
     * @param folder the run folder
     * @return one object per update, in order; empty when there is no metrics file
     * @throws IOException when the file cannot be read
     */
    public static List<JsonNode> readMetrics(Path folder) throws IOException {
        Path file = folder.resolve(METRICS_FILE);
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(JSON.readTree(line));
            } catch (IOException e) {
                LOG.warn("{}: ignoring an incomplete line (run interrupted while writing it)", file);
            }
        }
        return out;
    }

    /** Saved trainer state: where the run was and the optimizer's and scaler's counters. */
    record State(long step, long optimizerSteps, long tokens, double lossScale, int goodSteps, long skipped) {}

    /** Writes a checkpoint for {@code state} atomically and deletes all but the newest {@code keep}. */
    void saveCheckpoint(State state, AdaptedModel adapter, AdamW optimizer, int keep) throws IOException {
        Path dir = folder.resolve(CHECKPOINTS);
        Path target = dir.resolve(String.format("step-%06d", state.step()));
        SafetensorsWriter moments = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, NDArray> e : optimizer.state().entrySet()) {
            moments.addFloats(e.getKey(), e.getValue().getShape().getShape(), e.getValue().toFloatArray());
        }
        String json = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state);
        AtomicFiles.writeFolder(target, tmp -> {
            adapter.save(tmp.resolve(ADAPTER));
            moments.write(tmp.resolve(OPTIMIZER_FILE));
            Files.writeString(tmp.resolve(STATE_FILE), json);
        });
        List<Path> all = checkpoints();
        for (Path old : all.subList(Math.min(keep, all.size()), all.size())) {
            AtomicFiles.deleteRecursively(old);
        }
        LOG.info("checkpoint at step {}: {}", state.step(), target);
    }

    /**
     * Restores the newest intact checkpoint into {@code adapter} and {@code optimizer} and cuts {@code
     * metrics.jsonl} back to its step; a damaged newer checkpoint is passed over with a warning naming the problem.
     *
     * @return the restored state
     * @throws IllegalStateException when there are checkpoints but none is intact (naming the newest's problem)
     */
    State restoreNewestIntact(AdaptedModel adapter, AdamW optimizer) throws IOException {
        List<Path> all = checkpoints();
        String newestProblem = null;
        for (Path checkpoint : all) {
            State state;
            try {
                state = requireIntact(checkpoint, adapter, optimizer);
            } catch (IOException | IllegalArgumentException e) {
                newestProblem = newestProblem == null ? reason(e) : newestProblem;
                LOG.warn("checkpoint {} is damaged ({}): trying an older one", checkpoint, reason(e));
                continue;
            }
            if (checkpoint != all.get(0)) {
                LOG.warn("resuming from {}, the newest intact checkpoint (newer ones are damaged)", checkpoint);
            }
            adapter.restore(checkpoint.resolve(ADAPTER));
            Path file = checkpoint.resolve(OPTIMIZER_FILE);
            Map<String, float[]> moments = new LinkedHashMap<>();
            try (SafetensorsFile tensors = SafetensorsFile.open(file)) {
                for (String name : tensors.tensors().keySet()) {
                    float[] values = new float[Math.toIntExact(tensors.info(name).numel())];
                    tensors.floatBuffer(name, DType.F32).asFloatBuffer().get(values);
                    moments.put(name, values);
                }
            }
            optimizer.restore(state.optimizerSteps(), moments, file);
            truncateMetrics(state.step());
            LOG.info("resumed from {}", checkpoint);
            return state;
        }
        throw new IllegalStateException("cannot resume " + folder + ": no intact checkpoint (" + newestProblem + ")");
    }

    /**
     * Checks without changing anything that {@code checkpoint} can be restored: its state parses and matches its
     * folder, its adapter file and optimizer file open and hold every tensor with the right size.
     */
    private static State requireIntact(Path checkpoint, AdaptedModel adapter, AdamW optimizer) throws IOException {
        Path stateFile = checkpoint.resolve(STATE_FILE);
        State state;
        try {
            state = JSON.readValue(stateFile.toFile(), State.class);
        } catch (JsonProcessingException e) {
            throw new IOException(stateFile + " is not a complete trainer state (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new IOException(stateFile + " cannot be read (" + reason(e) + ")");
        }
        if (state.step() != stepOf(checkpoint)) {
            throw new IOException(stateFile + " is for step " + state.step());
        }
        Map<String, Long> adapterSizes = new LinkedHashMap<>();
        for (Map.Entry<String, AdapterLayer> layer : adapter.layers().entrySet()) {
            for (Map.Entry<String, Parameter> t : layer.getValue().tensors().entrySet()) {
                adapterSizes.put(Adapters.PEFT_PREFIX + layer.getKey() + "." + t.getKey(),
                        t.getValue().getArray().size());
            }
        }
        requireTensors(checkpoint.resolve(ADAPTER).resolve(Adapters.WEIGHTS_FILE), adapterSizes);
        Map<String, Long> momentSizes = new LinkedHashMap<>();
        optimizer.state().forEach((name, array) -> momentSizes.put(name, array.size()));
        requireTensors(checkpoint.resolve(OPTIMIZER_FILE), momentSizes);
        return state;
    }

    private static void requireTensors(Path file, Map<String, Long> sizes) throws IOException {
        try (SafetensorsFile tensors = SafetensorsFile.open(file)) {
            for (Map.Entry<String, Long> e : sizes.entrySet()) {
                TensorInfo info = tensors.tensors().get(e.getKey());
                if (info == null || info.numel() != e.getValue()) {
                    throw new IOException(file + ": tensor " + e.getKey() + (info == null ? " is missing"
                            : " has " + info.numel() + " values, expected " + e.getValue()));
                }
            }
        }
    }

    /** Starts the run over from update 0: no checkpoint was written before it stopped. */
    void startOver() throws IOException {
        LOG.warn("{} has no checkpoint (the run stopped before its first one): starting again from update 0",
                folder);
        truncateMetrics(0);
    }

    private void truncateMetrics(long step) throws IOException {
        StringBuilder kept = new StringBuilder();
        for (JsonNode line : readMetrics(folder)) {
            if (line.path("step").asLong() <= step) {
                kept.append(JSON.writeValueAsString(line)).append('\n');
            }
        }
        AtomicFiles.writeString(folder.resolve(METRICS_FILE), kept.toString());
    }

    /** Saves the final adapter to {@code RUN/adapter}. */
    Path saveAdapter(AdaptedModel adapter) throws IOException {
        Path target = folder.resolve(ADAPTER);
        adapter.save(target);
        return target;
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Closes the metrics file and releases the folder's lock. */
    @Override
    public void close() throws IOException {
        try {
            if (metrics != null) {
                metrics.close();
                metrics = null;
            }
        } finally {
            lock.close();
        }
    }
}
