package ai.sara4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFolderTest {
    private static final OutputFolder MERGE = OutputFolder.of("merge", "./sara merge");

    @TempDir
    Path dir;

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void fill(Path folder, String text) throws IOException {
        Files.writeString(folder.resolve("model.safetensors"), text);
    }

    private static String refusal(OutputFolder rule, Path folder) {
        return assertThrows(OutputRefusedException.class, () -> rule.write(folder, t -> fill(t, "new"))).getMessage();
    }

    @Test
    void newFolderIsWrittenWithTheMarkerAndAnEarlierOutputIsReplaced() throws Exception {
        Path out = dir.resolve("out");
        MERGE.write(out, t -> fill(t, "one"));
        assertEquals(List.of(OutputFolder.MARKER, "model.safetensors"), names(out));
        assertEquals(Optional.of("merge"), OutputFolder.kindOf(out));
        MERGE.write(out, t -> fill(t, "two"));
        assertEquals("two", Files.readString(out.resolve("model.safetensors")));
        assertEquals(List.of("out"), names(dir), "no temporary or old sibling left");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals(OutputFolder.Found.NEW, MERGE.check(empty));
    }

    @Test
    void foreignFolderOtherKindAndFileAreRefusedUnlessOverwrite() throws Exception {
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        assertTrue(refusal(MERGE, foreign).contains("--out " + foreign + " holds files that ./sara merge did not"
                + " write (notes.txt)"), refusal(MERGE, foreign));
        assertEquals("mine", Files.readString(foreign.resolve("notes.txt")));

        Path export = dir.resolve("export");
        OutputFolder.of("export", "./sara export").write(export, t -> fill(t, "e"));
        assertTrue(refusal(MERGE, export).contains("holds another kind of output ('export', not 'merge')"));

        Path file = Files.writeString(dir.resolve("file"), "data");
        assertTrue(refusal(MERGE, file).contains("--out " + file + " is a file, not a folder"), refusal(MERGE, file));
        assertEquals("data", Files.readString(file));

        OutputFolder overwrite = MERGE.withOverwrite(true);
        for (Path p : List.of(foreign, export, file)) {
            overwrite.write(p, t -> fill(t, "new"));
            assertEquals(List.of(OutputFolder.MARKER, "model.safetensors"), names(p));
        }
    }

    @Test
    void anInputIsNeverTheOutputNorInsideOrAroundItEvenWithOverwrite() throws Exception {
        Path model = Files.createDirectories(dir.resolve("models/base"));
        fill(model, "weights");
        OutputFolder rule = MERGE.withInput("--model", model).withInput("--adapter", null).withOverwrite(true);
        assertTrue(refusal(rule, model).contains("--out " + model + " is the input --model " + model),
                refusal(rule, model));
        Path viaDots = dir.resolve("models/x/../base");
        assertTrue(refusal(rule, viaDots).contains("is the input --model"), "compared as real paths");
        Path link = Files.createSymbolicLink(dir.resolve("link"), model);
        assertTrue(refusal(rule, link).contains("is the input --model"), "a symbolic link is resolved");
        assertTrue(refusal(rule, dir.resolve("models")).contains("contains the input --model"));
        assertTrue(refusal(rule, model.resolve("merged")).contains("lies inside the input --model"));
        assertEquals("weights", Files.readString(model.resolve("model.safetensors")));

        Path data = Files.writeString(dir.resolve("train.json"), "[]");
        OutputFolder file = OutputFolder.of("eval", "./sara eval").withInput("--data", data);
        assertTrue(assertThrows(OutputRefusedException.class, () -> file.checkFile(data)).getMessage()
                .contains("is the input --data"));
        Path folder = Files.createDirectories(dir.resolve("results"));
        assertTrue(assertThrows(OutputRefusedException.class, () -> file.checkFile(folder)).getMessage()
                .contains("--out " + folder + " is a folder"));
        file.checkFile(dir.resolve("scores.json")); // a new file, or an earlier one, is fine
    }

    @Test
    void claimMarksInPlaceAndKeepsAnEarlierOutputOfTheSameKind() throws Exception {
        OutputFolder run = OutputFolder.of("finetune-run", "./sara finetune");
        Path out = dir.resolve("run");
        assertEquals(OutputFolder.Found.NEW, run.claim(out));
        Files.writeString(out.resolve("metrics.jsonl"), "{}\n");
        assertEquals(OutputFolder.Found.EARLIER_OUTPUT, run.claim(out));
        assertTrue(Files.exists(out.resolve("metrics.jsonl")), "kept for --resume");
        assertEquals(OutputFolder.Found.REPLACED, run.withOverwrite(true).claim(out), "overwrite starts afresh");
        assertEquals(List.of(OutputFolder.MARKER), names(out));
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("a.txt"), "a");
        assertThrows(OutputRefusedException.class, () -> run.claim(foreign));
        assertEquals(OutputFolder.Found.REPLACED, run.withOverwrite(true).claim(foreign));
        assertEquals(List.of(OutputFolder.MARKER), names(foreign));
    }

    @Test
    void leftoversOfAnInterruptedWriteAreRemovedAndNothingElse() throws Exception {
        Path out = dir.resolve("out");
        Path tmp = Files.createDirectories(dir.resolve(".out.123e4567-e89b-12d3-a456-426614174000.tmp"));
        fill(tmp, "half");
        Files.writeString(dir.resolve(".out.123e4567-e89b-12d3-a456-426614174000.old"), "old");
        Files.createDirectories(dir.resolve("..out.123e4567-e89b-12d3-a456-426614174000.tmp"
                + ".223e4567-e89b-12d3-a456-426614174000.tmp"));
        Files.writeString(dir.resolve(".out.keep"), "not a leftover");
        Files.writeString(dir.resolve(".output.123e4567-e89b-12d3-a456-426614174000.tmp"), "another target's");
        MERGE.write(out, t -> fill(t, "new"));
        assertEquals(List.of(".out.keep", ".output.123e4567-e89b-12d3-a456-426614174000.tmp", "out"), names(dir));
    }

    @Test
    void aFailedWriteKeepsTheEarlierOutput() throws Exception {
        Path out = dir.resolve("out");
        MERGE.write(out, t -> fill(t, "one"));
        assertThrows(IOException.class, () -> MERGE.write(out, t -> {
            fill(t, "half");
            throw new IOException("disk full");
        }));
        assertEquals("one", Files.readString(out.resolve("model.safetensors")));
        assertFalse(names(dir).size() > 1);
    }
}
