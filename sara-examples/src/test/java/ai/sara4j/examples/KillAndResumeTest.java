package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.testing.SharedData;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.jdi.Bootstrap;
import com.sun.jdi.Method;
import com.sun.jdi.ReferenceType;
import com.sun.jdi.VMDisconnectedException;
import com.sun.jdi.VirtualMachine;
import com.sun.jdi.connect.Connector;
import com.sun.jdi.connect.ListeningConnector;
import com.sun.jdi.event.BreakpointEvent;
import com.sun.jdi.event.ClassPrepareEvent;
import com.sun.jdi.event.Event;
import com.sun.jdi.event.EventSet;
import com.sun.jdi.event.VMDeathEvent;
import com.sun.jdi.event.VMDisconnectEvent;
import com.sun.jdi.request.BreakpointRequest;
import com.sun.jdi.request.ClassPrepareRequest;
import com.sun.jdi.request.EventRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill-and-resume exactness for real: {@code ./sara finetune} runs in child JVMs that are killed with SIGKILL, and
 * {@code --resume} still ends with the adapter an uninterrupted run ends with, bit for bit, and with its metrics, one
 * line per update. So that each kill lands at the same point however busy the machine, the JDK's debugger interface
 * (JDI) holds the child at a breakpoint while the test looks at its files, and the child is killed there:
 * <ol>
 *   <li>after update 5's metrics line, before update 6's: checkpoint 3 is the newest, updates 4 and 5 are lost;
 *   <li>the resumed run, while it writes checkpoint 9: the checkpoint's hidden temporary folder holds its adapter but
 *       not yet its optimizer file, and checkpoint 6 (which the resumed run wrote) is the newest complete one;
 *   <li>a second resume, not interrupted, continues from checkpoint 6 and removes the temporary folder.
 * </ol>
 * The run folder's lock is held while a child runs and released by the operating system when it is killed.
 * SARA on q_proj and v_proj with dropout 0.1 (the masks must be drawn again alike), 12 updates over 40 examples in
 * batches of 4 (the second epoch's order too). Skipped when ../shared is absent.
 */
class KillAndResumeTest {
    /** How long the test waits for a child to reach a point or to end, however busy the machine. */
    private static final long PATIENCE_MS = 300_000;
    private static final int SIGKILL_EXIT = 128 + 9;

    @Test
    void aRunKilledTwiceEndsBitForBitWhereTheStraightRunEnds(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("train.txt");
        Files.write(data, Files.readAllLines(SharedData.require("data/e2e/valid.txt")).subList(0, 40));
        List<String> args = List.of("finetune", "--model", SharedData.tinyStories().toString(), "--data",
                data.toString(), "--method", "sara", "--threshold", "0.2", "--targets", "q_proj,v_proj", "--dropout",
                "0.1", "--max-steps", "12", "--save-every", "3", "--batch-size", "4", "--max-len", "64", "--warmup",
                "2", "--device", "cpu");
        Path straight = tmp.resolve("straight");
        awaitSuccess(tmp, "straight", launch(tmp, "straight", List.of(), with(args, "--out", straight.toString())));

        Path run = tmp.resolve("run");
        List<String> first = with(args, "--out", run.toString());
        try (Debugged child = Debugged.start(tmp, "first", first)) {
            child.runUntil("ai.sara4j.djl.train.TrainingRun", "append", () -> metricLines(run) == 5);
            assertEquals(List.of("step-000003"), checkpoints(run));
            assertFalse(Files.exists(run.resolve("adapter")));
            assertEquals(Long.toString(child.pid()), Files.readString(run.resolve(".lock")).trim());
            assertLockHeld(run, true);
            child.kill();
        }
        assertLockHeld(run, false);

        List<String> resumed = with(first, "--resume");
        Path stale;
        try (Debugged child = Debugged.start(tmp, "second", resumed)) {
            child.runUntil("ai.sara4j.core.safetensors.SafetensorsWriter", "write",
                    () -> hidden(run.resolve("checkpoints")).stream().anyMatch(p -> p.getFileName().toString()
                            .startsWith(".step-000009.") && Files.exists(p.resolve("adapter/adapter_model.safetensors"))));
            stale = hidden(run.resolve("checkpoints")).get(0);
            assertFalse(Files.exists(stale.resolve("optimizer.safetensors")));
            assertEquals(List.of("step-000003", "step-000006"), checkpoints(run));
            assertEquals(9, metricLines(run));
            assertLockHeld(run, true);
            child.kill();
        }
        assertLockHeld(run, false);
        assertEquals(List.of(stale), hidden(run.resolve("checkpoints")));

        String err = awaitSuccess(tmp, "third", launch(tmp, "third", List.of(), resumed));
        assertTrue(err.contains("removed " + stale + ": left by an interrupted write"), err);
        assertTrue(err.contains("resumed from " + run.resolve("checkpoints/step-000006")), err);
        assertEquals(List.of(), hidden(run.resolve("checkpoints")));
        // the lock file and the run folder's marker; no leftover of a write
        assertEquals(List.of(run.resolve(".lock"), run.resolve(OutputFolder.MARKER)), hidden(run));

        List<ObjectNode> want = metrics(straight);
        List<ObjectNode> got = metrics(run);
        assertEquals(12, want.size());
        assertEquals(want.size(), got.size(), "one metrics line per update: " + got);
        for (int i = 0; i < want.size(); i++) {
            assertEquals(i + 1, want.get(i).get("step").asInt());
            assertEquals(want.get(i), got.get(i), "update " + (i + 1));
        }
        assertSameTensors(straight.resolve("adapter/adapter_model.safetensors"),
                run.resolve("adapter/adapter_model.safetensors"));
    }

    /** {@code args} with {@code option} set to {@code value} (replacing its value), or with the flag added. */
    private static List<String> with(List<String> args, String option, String... value) {
        List<String> out = new ArrayList<>(args);
        int at = out.indexOf(option);
        if (at >= 0 && value.length > 0) {
            out.set(at + 1, value[0]);
        } else {
            out.add(option);
            out.addAll(List.of(value));
        }
        return out;
    }

    /** Starts {@code ./sara args} in a child JVM; its output goes to {@code tmp/name.out} and {@code tmp/name.err}. */
    private static Process launch(Path tmp, String name, List<String> jvmOptions, List<String> args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx1g"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), SaraCli.class.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(tmp.resolve(name + ".out").toFile())
                .redirectError(tmp.resolve(name + ".err").toFile());
        builder.environment().put("DJL_OFFLINE", "true");
        builder.environment().put("OPT_OUT_TRACKING", "true");
        return builder.start();
    }

    /** Waits for the child to end, requires exit code 0 and returns its standard error. */
    private static String awaitSuccess(Path tmp, String name, Process child) throws Exception {
        if (!child.waitFor(PATIENCE_MS, TimeUnit.MILLISECONDS)) {
            child.destroyForcibly().waitFor();
            throw new AssertionError(name + " did not end within " + PATIENCE_MS + " ms: " + stderr(tmp, name));
        }
        String err = stderr(tmp, name);
        assertEquals(0, child.exitValue(), name + ": " + err);
        return err;
    }

    private static String stderr(Path tmp, String name) throws IOException {
        return Files.readString(tmp.resolve(name + ".err"), StandardCharsets.UTF_8);
    }

    private static long metricLines(Path run) throws IOException {
        Path file = run.resolve("metrics.jsonl");
        return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    }

    /** Each metrics line without its timing ({@code tokens_per_s}), which differs from run to run. */
    private static List<ObjectNode> metrics(Path run) throws IOException {
        List<ObjectNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            ObjectNode node = (ObjectNode) Json.MAPPER.readTree(line);
            assertNotNull(node.remove("tokens_per_s"), line);
            out.add(node);
        }
        return out;
    }

    private static List<String> checkpoints(Path run) throws IOException {
        try (Stream<Path> list = Files.list(run.resolve("checkpoints"))) {
            return list.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    /** The hidden entries of {@code dir} (temporary folders of an unfinished write, the lock file). */
    private static List<Path> hidden(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    /** Whether some process holds the run folder's OS lock: this process cannot take it then. */
    private static void assertLockHeld(Path run, boolean held) throws IOException {
        try (FileChannel channel = FileChannel.open(run.resolve(".lock"), StandardOpenOption.WRITE);
                FileLock lock = channel.tryLock()) {
            assertEquals(held, lock == null, held ? "the writer's lock is free" : "the lock is still held");
        }
    }

    /** Both files hold the same tensors (names, dtypes, shapes) with the same bytes, and are the same bytes. */
    private static void assertSameTensors(Path expected, Path actual) throws IOException {
        try (SafetensorsFile want = SafetensorsFile.open(expected); SafetensorsFile got = SafetensorsFile.open(actual)) {
            assertEquals(want.tensors().keySet(), got.tensors().keySet());
            assertFalse(want.tensors().isEmpty());
            for (String name : want.tensors().keySet()) {
                assertEquals(want.tensors().get(name).dtype(), got.tensors().get(name).dtype(), name);
                assertArrayEquals(want.tensors().get(name).shape(), got.tensors().get(name).shape(), name);
                assertArrayEquals(bytes(want.buffer(name)), bytes(got.buffer(name)), name);
            }
        }
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(actual));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    /** A check of the child's files, made while the debugger holds it. */
    @FunctionalInterface
    private interface Condition {
        boolean holds() throws IOException;
    }

    /**
     * A {@code ./sara} child JVM started under this test's debugger: it waits at start until the debugger has
     * connected, runs until a breakpoint where a condition holds, and is killed there with SIGKILL.
     */
    private static final class Debugged implements AutoCloseable {
        private final Path tmp;
        private final String name;
        private final Process process;
        private final VirtualMachine vm;

        private Debugged(Path tmp, String name, Process process, VirtualMachine vm) {
            this.tmp = tmp;
            this.name = name;
            this.process = process;
            this.vm = vm;
        }

        static Debugged start(Path tmp, String name, List<String> args) throws Exception {
            ListeningConnector connector = Bootstrap.virtualMachineManager().listeningConnectors().stream()
                    .filter(c -> "dt_socket".equals(c.transport().name())).findFirst().orElseThrow();
            Map<String, Connector.Argument> settings = connector.defaultArguments();
            settings.get("localAddress").setValue("127.0.0.1");
            settings.get("timeout").setValue(Long.toString(PATIENCE_MS));
            String address = connector.startListening(settings);
            Process process = null;
            try {
                process = launch(tmp, name,
                        List.of("-agentlib:jdwp=transport=dt_socket,server=n,suspend=y,address=" + address), args);
                return new Debugged(tmp, name, process, connector.accept(settings));
            } catch (IOException | RuntimeException e) {
                if (process != null) {
                    process.destroyForcibly().waitFor();
                }
                throw e;
            } finally {
                connector.stopListening(settings);
            }
        }

        long pid() {
            return process.pid();
        }

        /**
         * Lets the child run until it enters a method {@code method} of {@code className} while {@code stop} holds,
         * and leaves it suspended there (every thread).
         */
        void runUntil(String className, String method, Condition stop) throws Exception {
            ClassPrepareRequest prepare = vm.eventRequestManager().createClassPrepareRequest();
            prepare.addClassFilter(className);
            prepare.enable();
            for (ReferenceType loaded : vm.classesByName(className)) {
                breakAt(loaded, method);
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PATIENCE_MS);
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                EventSet events = left > 0 ? vm.eventQueue().remove(left) : null;
                if (events == null) {
                    throw new AssertionError(name + " did not reach " + className + "." + method + " within "
                            + PATIENCE_MS + " ms: " + stderr(tmp, name));
                }
                boolean there = false;
                for (Event event : events) {
                    if (event instanceof ClassPrepareEvent prepared) {
                        breakAt(prepared.referenceType(), method);
                    } else if (event instanceof BreakpointEvent) {
                        there |= stop.holds();
                    } else if (event instanceof VMDeathEvent || event instanceof VMDisconnectEvent) {
                        throw new AssertionError(name + " ended before the kill point at " + className + "." + method
                                + ": " + stderr(tmp, name));
                    }
                }
                if (there) {
                    return;
                }
                events.resume();
            }
        }

        private void breakAt(ReferenceType type, String method) {
            List<Method> methods = type.methodsByName(method);
            assertFalse(methods.isEmpty(), type.name() + " has no method " + method);
            for (Method m : methods) {
                BreakpointRequest request = vm.eventRequestManager().createBreakpointRequest(m.location());
                request.setSuspendPolicy(EventRequest.SUSPEND_ALL);
                request.enable();
            }
        }

        /** SIGKILL: the child gets no chance to clean up, release its lock or finish a write. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertTrue(process.waitFor(PATIENCE_MS, TimeUnit.MILLISECONDS), name + " outlived SIGKILL");
            assertEquals(SIGKILL_EXIT, process.exitValue(), name + " ended by itself, not by the kill");
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor();
            }
            try {
                vm.dispose();
            } catch (VMDisconnectedException e) {
                // the child is gone: nothing to release
            }
        }
    }
}
