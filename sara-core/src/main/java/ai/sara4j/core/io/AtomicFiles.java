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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes files and folders so that a reader never sees a half-written one: everything goes to a temporary
 * sibling first, then is renamed over the target. A crash leaves the previous version intact.
 */
public final class AtomicFiles {
    /** What {@link #sibling} appends to a name, once per nesting level: a random UUID, then the suffix. */
    private static final String LEFTOVER_SUFFIX =
            "(\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.(tmp|old))+";

    private AtomicFiles() {}

    /** Something that writes to an output stream: the body of {@link AtomicFiles#write}. */
    @FunctionalInterface
    public interface StreamWriter {
        /**
         * Writes the whole content. The stream is flushed, forced to disk and closed by the caller.
         *
         * @param out the temporary file's stream; not to be closed here
         * @throws IOException when writing fails; the target is then left as it was
         */
        void write(OutputStream out) throws IOException;
    }

    /** Something that fills a fresh folder: the body of {@link AtomicFiles#writeFolder}. */
    @FunctionalInterface
    public interface FolderWriter {
        /**
         * Fills {@code folder} with the output's files.
         *
         * @param folder an existing, empty temporary folder beside the target, renamed into place afterwards
         * @throws IOException when writing fails; the target is then left as it was
         */
        void write(Path folder) throws IOException;
    }

    /**
     * Writes {@code target} through a hidden temporary file {@code .NAME.<uuid>.tmp} in the same folder, forces it
     * to disk ({@link FileChannel#force}), then renames it over {@code target} (an atomic move where the file system
     * supports one). Missing parent folders are created. On failure the temporary file is deleted and
     * {@code target} keeps its previous content.
     *
     * @param target the file to write or replace
     * @param writer writes the content
     * @throws IOException from the writer, or when the file cannot be created, forced or renamed
     */
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

    /**
     * Writes a small text file atomically, as {@link #write} does.
     *
     * @param target the file to write or replace
     * @param text the content, encoded as UTF-8
     * @throws IOException when the file cannot be written or renamed
     */
    public static void writeString(Path target, String text) throws IOException {
        write(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * Fills a temporary sibling folder, then replaces {@code target} with it. An existing target is moved aside
     * first and deleted only once the new one is in place. The writer may itself write {@code folder} atomically
     * (an existing empty folder is replaced). A writer's error that names the temporary folder is reported with
     * {@code target} in its place, since the temporary folder is gone once it is reported.
     *
     * @param target the folder to write
     * @param writer fills the temporary folder it is given
     * @throws IOException from the writer, or when the folder cannot be written or renamed
     */
    public static void writeFolder(Path target, FolderWriter writer) throws IOException {
        Path dir = parentOf(target);
        Files.createDirectories(dir);
        Path tmp = Files.createDirectory(sibling(dir, target, ".tmp"));
        try {
            try {
                writer.write(tmp);
            } catch (IOException e) {
                String message = e.getMessage();
                String shown = target.toAbsolutePath().toString();
                if (message != null && message.contains(tmp.toString())) {
                    throw new IOException(message.replace(tmp.toString(), shown), e);
                }
                throw e;
            }
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

    /**
     * Deletes what an interrupted {@link #write} or {@link #writeFolder} of {@code target} left beside it: the hidden
     * siblings {@code .NAME.<uuid>.tmp} and {@code .NAME.<uuid>.old} (and those of a write nested in such a
     * temporary folder). Nothing else is touched. A write of the same target running at this moment in another
     * process would lose its temporary folder and fail; it never leaves a half-written target.
     *
     * @param target the file or folder whose leftovers to remove
     * @return the paths removed
     * @throws IOException when a leftover cannot be deleted
     */
    public static List<Path> removeLeftovers(Path target) throws IOException {
        return removeMatching(parentOf(target), Pattern.compile("\\.+" + Pattern.quote(target.getFileName().toString())
                + LEFTOVER_SUFFIX));
    }

    /**
     * Deletes what interrupted writes left in {@code dir}, whatever their targets: every hidden
     * {@code .NAME.<uuid>.tmp} and {@code .NAME.<uuid>.old}. For a folder one writer owns (a locked training run),
     * where no other write can be under way.
     *
     * @param dir the folder to clear (absent is fine)
     * @return the paths removed
     * @throws IOException when a leftover cannot be deleted
     */
    public static List<Path> removeAllLeftovers(Path dir) throws IOException {
        return removeMatching(dir, Pattern.compile("\\..+?" + LEFTOVER_SUFFIX));
    }

    private static List<Path> removeMatching(Path dir, Pattern leftover) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> removed = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                if (leftover.matcher(p.getFileName().toString()).matches()) {
                    deleteRecursively(p);
                    removed.add(p);
                }
            }
        }
        return removed;
    }

    /**
     * Deletes {@code target} by first renaming it to a hidden {@code .NAME.<uuid>.old} sibling, so that an
     * interrupted delete leaves only a leftover that {@link #removeLeftovers} clears, never a half-deleted target.
     *
     * @param target a file or folder; absent is fine
     * @throws IOException when it cannot be moved or deleted
     */
    public static void delete(Path target) throws IOException {
        if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path old = sibling(parentOf(target), target, ".old");
        move(target, old);
        deleteRecursively(old);
    }

    /**
     * Deletes a file or a folder tree in place, deepest entries first (not atomic: see {@link #delete}).
     *
     * @param path a file or folder; absent is fine
     * @throws IOException when an entry cannot be deleted (what was already deleted stays deleted)
     */
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
