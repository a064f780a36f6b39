package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.training.loss.Loss;
import ai.sara4j.djl.adapter.Adapters;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run folder's safety on the small classifier (fast, no shared files): one writer (a lock that a second process
 * and this one are refused), a fingerprint that refuses a resume with any other setting, the newest checkpoints
 * kept, a damaged newest checkpoint passed over, stale temporary folders removed, a run stopped before its first
 * checkpoint started over; every resumed run ends bit for bit where the uninterrupted run ends.
 */
class RunFolderTest {

    private static TrainingOptions.Builder options() {
        return TrainingOptions.builder().learningRate(0.05).batchSize(4).warmupSteps(1).maxSteps(5).seed(3)
                .saveEvery(1);
    }

    /** Trains a fresh classifier (LoRA dropout 0.1, so the masks must be reproduced too) into {@code run}. */
    private static Trainer.Result train(Path run, UnaryOperator<Trainer.Builder> setUp, Consumer<StepMetrics> onStep)
            throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Trainer.Builder builder = Trainer.builder(TinyClassifier.adapted(manager, 1))
                    .data(TinyClassifier.records(manager, 16, 2), LossObjective.of(Loss.softmaxCrossEntropyLoss()))
                    .options(options().build()).runFolder(run).onStep(onStep);
            return setUp.apply(builder).build().train();
        }
    }

    private static Trainer.Result train(Path run, UnaryOperator<Trainer.Builder> setUp) throws IOException {
        return train(run, setUp, m -> { });
    }

    /** Stops the run from the listener at update {@code step} (after its metrics line, before its checkpoint). */
    private static void killedAt(Path run, long step, UnaryOperator<Trainer.Builder> setUp) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> train(run, setUp, m -> {
            if (m.step() == step) {
                throw new IllegalStateException("killed");
            }
        }));
        assertEquals("killed", e.getMessage());
    }

    private static List<String> metrics(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(TrainingRun.METRICS_FILE))) {
            out.add(line.replaceAll("\"tokens_per_s\":[^,}]*", ""));
        }
        return out;
    }

    private static byte[] adapterBytes(Path run) throws IOException {
        return Files.readAllBytes(run.resolve(TrainingRun.ADAPTER).resolve(Adapters.WEIGHTS_FILE));
    }

    private static List<String> checkpoints(Path run) throws IOException {
        try (Stream<Path> list = Files.list(run.resolve(TrainingRun.CHECKPOINTS))) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void keepsTheNewestCheckpoints(@TempDir Path tmp) throws IOException {
        train(tmp.resolve("two"), b -> b);
        assertEquals(List.of("step-000004", "step-000005"), checkpoints(tmp.resolve("two")));
        train(tmp.resolve("three"), b -> b.keepCheckpoints(3));
        assertEquals(List.of("step-000003", "step-000004", "step-000005"), checkpoints(tmp.resolve("three")));
        assertArrayEquals(adapterBytes(tmp.resolve("two")), adapterBytes(tmp.resolve("three")));
    }

    @Test
    void resumeIsRefusedWhenAnySettingDiffersNamingIt(@TempDir Path tmp) throws IOException {
        Path straight = tmp.resolve("straight");
        train(straight, b -> b.fingerprint("data.file", "a"));
        Path run = tmp.resolve("run");
        killedAt(run, 3, b -> b.fingerprint("data.file", "a"));
        IllegalStateException lr = assertThrows(IllegalStateException.class, () -> train(run,
                b -> b.fingerprint("data.file", "a").options(options().learningRate(0.01).build()).resume(true)));
        assertTrue(lr.getMessage().contains("it was trained with options.learningRate = 0.05, this run has"
                + " options.learningRate = 0.01"), lr.getMessage());
        IllegalStateException data = assertThrows(IllegalStateException.class,
                () -> train(run, b -> b.fingerprint("data.file", "b").resume(true)));
        assertTrue(data.getMessage().contains("data.file = a, this run has data.file = b"), data.getMessage());
        try (NDManager manager = NDManager.newBaseManager()) {
            IllegalStateException dropout = assertThrows(IllegalStateException.class, () -> Trainer
                    .builder(TinyClassifier.adapt(TinyClassifier.network(manager, 1), 0.2))
                    .data(TinyClassifier.records(manager, 16, 2), LossObjective.of(Loss.softmaxCrossEntropyLoss()))
                    .options(options().build()).runFolder(run).resume(true).fingerprint("data.file", "a").build()
                    .train());
            assertTrue(dropout.getMessage().contains("adapter.lora_dropout = 0.1, this run has adapter.lora_dropout"
                    + " = 0.2"), dropout.getMessage());
        }
        IllegalStateException fresh = assertThrows(IllegalStateException.class,
                () -> train(run, b -> b.fingerprint("data.file", "a")));
        assertTrue(fresh.getMessage().contains("already holds a run"), fresh.getMessage());
        assertEquals(3, metrics(run).size()); // the refusals changed nothing

        train(run, b -> b.fingerprint("data.file", "a").resume(true));
        assertEquals(metrics(straight), metrics(run));
        assertArrayEquals(adapterBytes(straight), adapterBytes(run));
    }

    /**
     * A torn newest checkpoint (its trainer_state.json cut short) is passed over: the run resumes from the older one
     * and still ends where the straight run ends; with nothing intact the error names the file. Stale temporary
     * folders of an interrupted write are removed.
     */
    @Test
    void aDamagedNewestCheckpointFallsBackToTheOlderOne(@TempDir Path tmp) throws IOException {
        Path straight = tmp.resolve("straight");
        train(straight, b -> b);
        Path run = tmp.resolve("run");
        killedAt(run, 5, b -> b); // checkpoints 3 and 4 kept
        Path newest = run.resolve("checkpoints/step-000004/trainer_state.json");
        String state = Files.readString(newest);
        Files.writeString(newest, state.substring(0, state.length() / 2));
        Path staleCheckpoint = run.resolve("checkpoints/.step-000005." + UUID.randomUUID() + ".tmp");
        Path staleAdapter = run.resolve(".adapter." + UUID.randomUUID() + ".tmp");
        Files.createDirectories(staleCheckpoint.resolve("adapter"));
        Files.createDirectories(staleAdapter);
        Path mine = Files.createDirectories(run.resolve("checkpoints/.notes.tmp")); // not one of ours: kept

        train(run, b -> b.resume(true));
        assertEquals(metrics(straight), metrics(run));
        assertArrayEquals(adapterBytes(straight), adapterBytes(run));
        assertFalse(Files.exists(staleCheckpoint));
        assertFalse(Files.exists(staleAdapter));
        assertTrue(Files.exists(mine));

        Path broken = tmp.resolve("broken");
        killedAt(broken, 5, b -> b);
        for (String step : List.of("step-000003", "step-000004")) {
            Files.writeString(broken.resolve("checkpoints").resolve(step).resolve("trainer_state.json"), "{\"step\":");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> train(broken, b -> b.resume(true)));
        assertTrue(e.getMessage().contains(broken.resolve("checkpoints/step-000004/trainer_state.json")
                + " is not a complete trainer state"), e.getMessage());
    }

    @Test
    void aRunStoppedBeforeItsFirstCheckpointStartsOver(@TempDir Path tmp) throws IOException {
        UnaryOperator<Trainer.Builder> endOnly = b -> b.options(options().saveEvery(0).build());
        Path straight = tmp.resolve("straight");
        train(straight, endOnly);
        Path run = tmp.resolve("run");
        killedAt(run, 2, endOnly);
        assertEquals(2, metrics(run).size());
        assertFalse(Files.exists(run.resolve(TrainingRun.CHECKPOINTS)));
        train(run, b -> endOnly.apply(b).resume(true));
        assertEquals(metrics(straight), metrics(run));
        assertArrayEquals(adapterBytes(straight), adapterBytes(run));
    }

    /** A second writer in this process is refused at once, and the folder is free again once the first is done. */
    @Test
    void oneWriterPerFolderInThisProcess(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        try (RunLock held = RunLock.acquire(run)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> train(run, b -> b));
            assertTrue(e.getMessage().contains("is being written by this process (pid "
                    + ProcessHandle.current().pid()), e.getMessage());
        }
        assertEquals(5, train(run, b -> b).steps());
    }

    /** A second process holding the lock: refused naming its pid; once it has ended, the lock is free (never stale). */
    @Test
    void oneWriterPerFolderAcrossProcesses(@TempDir Path tmp) throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process holder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), run.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> train(run, b -> b));
            assertTrue(e.getMessage().contains("is being written by another process (pid " + holder.pid() + ","),
                    e.getMessage());
            // what finetune --overwrite asks before replacing a folder
            IllegalStateException live = assertThrows(IllegalStateException.class,
                    () -> TrainingRun.requireNoWriter(run));
            assertTrue(live.getMessage().contains("pid " + holder.pid()), live.getMessage());
        } finally {
            holder.destroyForcibly().waitFor();
        }
        TrainingRun.requireNoWriter(run);
        assertEquals(5, train(run, b -> b).steps());
    }
}
