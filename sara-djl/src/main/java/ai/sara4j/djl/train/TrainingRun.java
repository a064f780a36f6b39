package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.djl.adapter.AdaptedModel;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output folder of a training run:
 *
 * <pre>
 * RUN/metrics.jsonl                   one JSON object per optimizer update
 * RUN/checkpoints/step-000200/        adapter/ (AdaptedModel.save), optimizer.safetensors, trainer_state.json
 * RUN/adapter/                        the final adapter
 * </pre>
 *
 * Each checkpoint is written into a hidden temporary folder and renamed into place, then older checkpoints are
 * deleted, so a run killed at any moment keeps its last complete checkpoint. On resume, {@code metrics.jsonl} is cut
 * back to the checkpoint's step (a half-written last line included), so the file again describes exactly the updates
 * the restored state has seen.
 */
public final class TrainingRun implements AutoCloseable {
    public static final String METRICS_FILE = "metrics.jsonl";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String ADAPTER = "adapter";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String STATE_FILE = "trainer_state.json";

    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path folder;
    private BufferedWriter metrics;

    private TrainingRun(Path folder) {
        this.folder = folder;
    }

    /** Opens (creating) the run folder. */
    public static TrainingRun open(Path folder) throws IOException {
        Files.createDirectories(folder);
        return new TrainingRun(folder);
    }

    public Path folder() {
        return folder;
    }

    /** The newest complete checkpoint, if any. */
    public Optional<Path> latestCheckpoint() throws IOException {
        Path dir = folder.resolve(CHECKPOINTS);
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                    .filter(p -> Files.isRegularFile(p.resolve(STATE_FILE)))
                    .max((a, b) -> Long.compare(stepOf(a), stepOf(b)));
        }
    }

    private static long stepOf(Path checkpoint) {
        return Long.parseLong(checkpoint.getFileName().toString().substring("step-".length()));
    }

    /** Whether the folder already holds metrics or checkpoints of an earlier run. */
    public boolean hasHistory() throws IOException {
        return Files.exists(folder.resolve(METRICS_FILE)) || latestCheckpoint().isPresent();
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

    /** The metrics line of one update. */
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

    /** Reads {@code metrics.jsonl} (a torn last line is ignored). */
    public List<JsonNode> readMetrics() throws IOException {
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
    record State(long step, long optimizerSteps, long tokens, double lossScale, int goodSteps, long skipped,
            long examples, TrainingOptions options) {}

    /** Writes a checkpoint for {@code state} atomically and deletes older ones. */
    void saveCheckpoint(State state, AdaptedModel adapter, AdamW optimizer) throws IOException {
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
        try (Stream<Path> list = Files.list(dir)) {
            for (Path old : (Iterable<Path>) list.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                    .filter(p -> stepOf(p) < state.step())::iterator) {
                AtomicFiles.deleteRecursively(old);
            }
        }
        LOG.info("checkpoint at step {}: {}", state.step(), target);
    }

    /**
     * Restores adapter tensors and optimizer moments from {@code checkpoint} (whose {@link #readState state} is
     * {@code state}), and cuts {@code metrics.jsonl} back to its step.
     */
    void restore(Path checkpoint, State state, AdaptedModel adapter, AdamW optimizer) throws IOException {
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
        StringBuilder kept = new StringBuilder();
        for (JsonNode line : readMetrics()) {
            if (line.path("step").asLong() <= state.step()) {
                kept.append(JSON.writeValueAsString(line)).append('\n');
            }
        }
        AtomicFiles.writeString(folder.resolve(METRICS_FILE), kept.toString());
    }

    /** The trainer state saved in {@code checkpoint}. */
    State readState(Path checkpoint) throws IOException {
        return JSON.readValue(checkpoint.resolve(STATE_FILE).toFile(), State.class);
    }

    /** Saves the final adapter to {@code RUN/adapter}. */
    public Path saveAdapter(AdaptedModel adapter) throws IOException {
        Path target = folder.resolve(ADAPTER);
        adapter.save(target);
        return target;
    }

    @Override
    public void close() throws IOException {
        if (metrics != null) {
            metrics.close();
            metrics = null;
        }
    }
}
