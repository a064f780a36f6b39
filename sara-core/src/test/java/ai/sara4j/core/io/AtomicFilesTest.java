package ai.sara4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAFileWithNormalPermissionsAndNoLeftovers() throws Exception {
        Path target = dir.resolve("config.json");
        AtomicFiles.writeString(target, "{\"a\":1}");
        assertEquals("{\"a\":1}", Files.readString(target));
        AtomicFiles.writeString(target, "{}");
        assertEquals("{}", Files.readString(target));
        assertEquals(List.of("config.json"), names(dir));

        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path plain = Files.createFile(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target),
                "the umask's permissions, not a temp file's owner-only mode");
    }

    @Test
    void aFailingWriterKeepsThePreviousFile() throws Exception {
        Path target = dir.resolve("a.txt");
        AtomicFiles.writeString(target, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write("half".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("a.txt"), names(dir));
    }

    @Test
    void replacesAFolderWhole() throws Exception {
        Path target = dir.resolve("adapter");
        AtomicFiles.writeFolder(target, f -> {
            Files.writeString(f.resolve("one"), "1");
            Files.writeString(f.resolve("two"), "2");
        });
        AtomicFiles.writeFolder(target, f -> Files.writeString(f.resolve("three"), "3"));
        assertEquals(List.of("three"), names(target), "the old folder's files are gone");
        assertThrows(IOException.class, () -> AtomicFiles.writeFolder(target, f -> {
            Files.writeString(f.resolve("four"), "4");
            throw new IOException("failed");
        }));
        assertEquals(List.of("three"), names(target));
        assertEquals(List.of("adapter"), names(dir), "no temporary or old folders left");

        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path plain = Files.createDirectory(dir.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target));
    }

    /**
     * A folder one writer owns is cleared of every write's leftovers, a folder moved aside as well as a temporary one
     * (a kill between the two renames of a replacement leaves {@code .NAME.<uuid>.old}); nothing else is touched.
     */
    @Test
    void allLeftoversOfAFolderAreRemovedAndNothingElse(@TempDir Path dir) throws Exception {
        String uuid = "0123abcd-4567-89ab-cdef-0123456789ab";
        Path old = Files.createDirectories(dir.resolve(".adapter." + uuid + ".old").resolve("inner"));
        Path tmp = Files.createDirectory(dir.resolve(".step-000009." + uuid + ".tmp"));
        Path nested = Files.writeString(dir.resolve(".x." + uuid + ".tmp." + uuid + ".tmp"), "");
        List<Path> kept = List.of(Files.writeString(dir.resolve(".lock"), "1"),
                Files.createDirectory(dir.resolve("adapter")), Files.writeString(dir.resolve(".notes.tmp"), ""),
                Files.writeString(dir.resolve(".adapter.not-a-uuid.old"), ""));
        assertEquals(3, AtomicFiles.removeAllLeftovers(dir).size());
        assertFalse(Files.exists(old.getParent()) || Files.exists(tmp) || Files.exists(nested));
        kept.forEach(p -> assertTrue(Files.exists(p), p.toString()));
        assertEquals(List.of(), AtomicFiles.removeAllLeftovers(dir.resolve("absent")));
    }
}
