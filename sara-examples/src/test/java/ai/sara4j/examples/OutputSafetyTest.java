package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.core.testing.RawTensors;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.Adapters;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code merge}, {@code export} and {@code logits} write never destroys an input or a foreign file (issue 12):
 * each case ran destructively before {@link OutputFolder}. The model is a copy of tinystories-656k, so that a
 * regression damages only a temporary folder.
 */
class OutputSafetyTest {
    private static Path copyOfModel(Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        try (Stream<Path> files = Files.list(SharedData.tinyStories())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        return model;
    }

    private static Path adapter(Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("adapter"));
        for (String file : new String[] {"adapter_config.json", "adapter_model.safetensors"}) {
            try (InputStream in = OutputSafetyTest.class.getResourceAsStream("/fixtures/adapters/lora_patterns/" + file)) {
                Files.copy(in, folder.resolve(file));
            }
        }
        return folder;
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String refused(String... args) {
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(1, r.exitCode(), r.out() + r.err());
        return r.err();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
    }

    @Test
    void mergeNeverReplacesItsInputsEvenWithOverwrite(@TempDir Path tmp) throws Exception {
        Path model = copyOfModel(tmp);
        Path adapter = adapter(tmp);
        byte[] weights = Files.readAllBytes(model.resolve("model.safetensors"));
        String m = model.toString();
        String a = adapter.toString();
        assertMentions(refused("merge", "--model", m, "--adapter", a, "--out", m), "--out " + m + " is the input --model");
        assertMentions(refused("merge", "--model", m, "--adapter", a, "--out", m, "--overwrite"), "is the input --model");
        assertMentions(refused("merge", "--model", m, "--adapter", a, "--out", a, "--overwrite"),
                "is the input --adapter");
        assertMentions(refused("merge", "--model", m, "--adapter", a, "--out", tmp.toString(), "--overwrite"),
                "contains the input --model");
        assertMentions(refused("export", "--model", m, "--adapter", a, "--out", model.resolve("peft").toString()),
                "lies inside the input --model");
        Path inModel = model.resolve("model.safetensors");
        assertMentions(refused("logits", "--model", m, "--prompt", "x", "--out", inModel.toString()),
                "--out " + inModel + " lies inside the input --model");
        assertArrayEquals(weights, Files.readAllBytes(model.resolve("model.safetensors")), "base weights untouched");
        assertEquals(List.of("adapter_config.json", "adapter_model.safetensors"), names(adapter));
    }

    @Test
    void foreignFoldersAndFilesAreRefusedAndAnEarlierOutputReplaced(@TempDir Path tmp) throws Exception {
        String m = copyOfModel(tmp).toString();
        String a = adapter(tmp).toString();
        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        assertMentions(refused("merge", "--model", m, "--adapter", a, "--out", foreign.toString()),
                "--out " + foreign + " holds files that ./sara merge did not write (notes.txt)", "--overwrite");
        assertEquals("mine", Files.readString(foreign.resolve("notes.txt")));
        Path file = Files.writeString(tmp.resolve("results.csv"), "1,2");
        assertMentions(refused("export", "--model", m, "--adapter", a, "--out", file.toString()),
                "--out " + file + " is a file, not a folder");
        assertEquals("1,2", Files.readString(file));

        Path merged = tmp.resolve("merged");
        Path leftover = Files.createDirectories(tmp.resolve(".merged.123e4567-e89b-12d3-a456-426614174000.tmp"));
        for (int i = 0; i < 2; i++) { // the second run replaces the first's output
            CliRunner.Result r = CliRunner.run("merge", "--model", m, "--adapter", a, "--out", merged.toString());
            assertEquals(0, r.exitCode(), r.err());
        }
        assertEquals(Optional.of("merge"), OutputFolder.kindOf(merged));
        assertFalse(Files.exists(leftover), "an interrupted write's leftover is removed");
        assertMentions(refused("export", "--model", m, "--adapter", a, "--out", merged.toString()),
                "holds another kind of output ('merge', not 'export')");

        CliRunner.Result overwrite = CliRunner.run("merge", "--model", m, "--adapter", a, "--out", foreign.toString(),
                "--overwrite");
        assertEquals(0, overwrite.exitCode(), overwrite.err());
        assertFalse(Files.exists(foreign.resolve("notes.txt")));
        assertTrue(names(foreign).containsAll(List.of(OutputFolder.MARKER, "config.json", "model.safetensors")));
    }

    @Test
    void aNanAdapterIsRefusedNamingFileAndTensorAndNothingIsWritten(@TempDir Path tmp) throws Exception {
        String m = copyOfModel(tmp).toString();
        Path adapter = adapter(tmp);
        Path weights = adapter.resolve(Adapters.WEIGHTS_FILE);
        String tensor = Adapters.PEFT_PREFIX + "model.layers.0.self_attn.q_proj.lora_B.weight";
        RawTensors.set(weights, tensor, 0, Float.NaN);
        Path out = tmp.resolve("merged");
        assertMentions(refused("merge", "--model", m, "--adapter", adapter.toString(), "--out", out.toString()),
                weights.toString(), "tensor '" + tensor + "'", "non-finite value NaN");
        assertFalse(Files.exists(out));
    }
}
