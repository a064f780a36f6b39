package ai.sara4j.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes files and folders so that a reader never sees a half-written one: everything goes to a temporary
 * sibling first, then is renamed over the target. A crash leaves the previous version intact.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Something that writes to an output stream. */
    @FunctionalInterface
    public interface StreamWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Something that fills a fresh folder. */
    @FunctionalInterface
    public interface FolderWriter {
        void write(Path folder) throws IOException;
    }

    /** Writes {@code target} through a temporary file in the same folder, then renames it into place. */
    public static void write(Path target, StreamWriter writer) throws IOException {
        Path dir = parentOf(target);
        Files.createDirectories(dir);
        Path tmp = sibling(dir, target, ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    OutputStream out = Channels.newOutputStream(channel)) {
                writer.write(out);
                out.flush();
                channel.force(true); // on disk before the rename makes it visible
            }
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes a small text file atomically. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * Fills a temporary sibling folder, then replaces {@code target} with it. An existing target is moved aside
     * first and deleted only once the new one is in place.
     */
    public static void writeFolder(Path target, FolderWriter writer) throws IOException {
        Path dir = parentOf(target);
        Files.createDirectories(dir);
        Path tmp = Files.createDirectory(sibling(dir, target, ".tmp"));
        try {
            writer.write(tmp);
            Path old = null;
            if (Files.exists(target)) {
                old = sibling(dir, target, ".old");
                move(target, old);
            }
            try {
                move(tmp, target);
            } catch (IOException e) {
                if (old != null) {
                    move(old, target);
                }
                throw e;
            }
            if (old != null) {
                deleteRecursively(old);
            }
        } finally {
            if (Files.exists(tmp)) {
                deleteRecursively(tmp);
            }
        }
    }

    /** Deletes a file or a folder tree; absent is fine. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /**
     * A fresh hidden name beside {@code target}. Created by the caller with the default permissions (umask), unlike
     * {@link Files#createTempFile}, whose owner-only mode would survive the rename into the final file.
     */
    private static Path sibling(Path dir, Path target, String suffix) {
        return dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + suffix);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Path parentOf(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        return parent == null ? Path.of(".") : parent;
    }
}
