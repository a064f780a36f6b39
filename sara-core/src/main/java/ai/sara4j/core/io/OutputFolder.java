package ai.sara4j.core.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The rule for where a command may write, so that nothing a user already has is destroyed.
 *
 * <p>An output folder is taken when it does not exist, is empty, or holds a marker file {@value #MARKER} naming
 * the same kind of output (a folder that this command, or an earlier run of it, wrote). Anything else is refused
 * with a message naming it: a folder holding other files, a folder of another kind, a regular file. With
 * {@link #withOverwrite overwrite} those are replaced too, but an output is still never an input, inside an input
 * or around one: the real paths ({@link Path#toRealPath}) of the output and of each {@link #withInput input} are
 * compared, so {@code merge --model B --out B} or {@code --out} the folder that holds the model is refused always.
 *
 * <p>{@link #write} writes the folder atomically (a temporary sibling, then a rename) with the marker inside it;
 * {@link #claim} marks a folder that the command then fills in place (a training run). Both first remove what an
 * interrupted earlier write left beside the folder ({@link AtomicFiles#removeLeftovers}).
 *
 * <p>A single output file ({@link #checkFile}) is simpler: it replaces an existing regular file of that name, as a
 * shell redirection does, but never an input or a file inside an input folder, and never a folder.
 *
 * <pre>{@code
 * OutputFolder.of("merge", "./sara merge").withInput("--model", model).withInput("--adapter", adapter)
 *         .withOverwrite(overwrite).write(out, tmp -> MergedCheckpointWriter.write(model, adapter, tmp));
 * }</pre>
 */
public final class OutputFolder {
    /** The marker file inside an output folder; its first line is the output's kind. */
    public static final String MARKER = ".sara4j-output";

    /** What {@link #check} found at the output path. */
    public enum Found {
        /** Nothing, or an empty folder. */
        NEW,
        /** A folder holding this kind's marker: an earlier output of the same kind. */
        EARLIER_OUTPUT,
        /** Something else, which {@code overwrite} allows to be replaced. */
        REPLACED
    }

    private final String kind;
    private final String writtenBy;
    private final String option;
    private final boolean overwrite;
    private final Map<Path, String> inputs;

    private OutputFolder(String kind, String writtenBy, String option, boolean overwrite, Map<Path, String> inputs) {
        this.kind = kind;
        this.writtenBy = writtenBy;
        this.option = option;
        this.overwrite = overwrite;
        this.inputs = inputs;
    }

    /**
     * The rule for one kind of output, named {@code --out} in messages, without overwrite and without inputs.
     *
     * @param kind the kind recorded in the marker, e.g. {@code "merge"} or {@code "finetune-run"}
     * @param writtenBy what writes it, for messages, e.g. {@code "./sara merge"}
     * @return the rule
     */
    public static OutputFolder of(String kind, String writtenBy) {
        if (kind.isBlank() || kind.contains("\n")) {
            throw new IllegalArgumentException("bad output kind '" + kind + "'");
        }
        return new OutputFolder(kind, writtenBy, "--out", false, Map.of());
    }

    /**
     * The same rule with the output named {@code option} in messages.
     *
     * @param option e.g. {@code "--out"} or {@code "--chart"}
     * @return a new rule
     */
    public OutputFolder withOption(String option) {
        return new OutputFolder(kind, writtenBy, option, overwrite, inputs);
    }

    /**
     * The same rule, replacing what is at the output path when {@code overwrite} is true (never an input).
     *
     * @param overwrite whether a foreign folder, a folder of another kind or a file may be replaced
     * @return a new rule
     */
    public OutputFolder withOverwrite(boolean overwrite) {
        return new OutputFolder(kind, writtenBy, option, overwrite, inputs);
    }

    /**
     * The same rule with one more input, which the output must not be, contain or lie inside.
     *
     * @param name the input's option, for messages (e.g. {@code "--model"})
     * @param path the input file or folder; null (an option not given) is ignored
     * @return a new rule
     */
    public OutputFolder withInput(String name, Path path) {
        if (path == null) {
            return this;
        }
        Map<Path, String> more = new LinkedHashMap<>(inputs);
        more.put(path, name);
        return new OutputFolder(kind, writtenBy, option, overwrite, more);
    }

    /**
     * Checks that {@code folder} may receive this kind of output and removes the leftovers of an interrupted write
     * beside it. Nothing else is changed.
     *
     * @param folder the output folder
     * @return what is there now
     * @throws OutputRefusedException naming the folder and the reason, when it may not be written
     * @throws IOException when the folder or the inputs cannot be inspected
     */
    public Found check(Path folder) throws IOException {
        checkInputs(folder);
        AtomicFiles.removeLeftovers(folder);
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            return Found.NEW;
        }
        if (!Files.isDirectory(folder)) {
            if (overwrite) {
                return Found.REPLACED;
            }
            throw new OutputRefusedException(option + " " + folder + " is a file, not a folder; choose a folder path,"
                    + " or pass --overwrite to replace the file");
        }
        Optional<String> found = kindOf(folder);
        if (found.isPresent() && found.get().equals(kind)) {
            return Found.EARLIER_OUTPUT;
        }
        List<String> entries = entries(folder);
        if (entries.isEmpty()) {
            return Found.NEW;
        }
        if (overwrite) {
            return Found.REPLACED;
        }
        if (found.isPresent()) {
            throw new OutputRefusedException(option + " " + folder + " holds another kind of output ('" + found.get()
                    + "', not '" + kind + "'); choose another folder, or pass --overwrite to replace it");
        }
        throw new OutputRefusedException(option + " " + folder + " holds files that " + writtenBy + " did not write ("
                + String.join(", ", entries.subList(0, Math.min(3, entries.size())))
                + (entries.size() > 3 ? ", …" : "") + "); choose a new or empty folder, or pass --overwrite to replace it");
    }

    /**
     * Checks {@code folder} ({@link #check}), then writes it atomically: {@code writer} fills a temporary sibling,
     * the marker is added to it, and it is renamed into place, replacing an earlier output. A failure leaves what
     * was there before.
     *
     * @param folder the output folder
     * @param writer fills the temporary folder it is given (it may itself write that folder atomically)
     * @throws OutputRefusedException when {@code folder} may not be written
     * @throws IOException from the writer, or when the folder cannot be written
     */
    public void write(Path folder, AtomicFiles.FolderWriter writer) throws IOException {
        check(folder);
        AtomicFiles.writeFolder(folder, tmp -> {
            writer.write(tmp);
            writeMarker(tmp);
        });
    }

    /**
     * Checks {@code folder} ({@link #check}) and marks it as this kind's output, for a command that fills it in
     * place. An earlier output of the same kind is kept as it is (a training run to resume, or one the command
     * refuses to mix with); with {@code overwrite} it is deleted first, as is anything else overwrite replaces, so
     * the command starts afresh.
     *
     * @param folder the output folder
     * @return what was there
     * @throws OutputRefusedException when {@code folder} may not be written
     * @throws IOException when the folder cannot be created or marked
     */
    public Found claim(Path folder) throws IOException {
        Found found = check(folder);
        if (overwrite && found == Found.EARLIER_OUTPUT) {
            found = Found.REPLACED;
        }
        if (found == Found.REPLACED) {
            AtomicFiles.delete(folder);
        }
        Files.createDirectories(folder);
        if (found != Found.EARLIER_OUTPUT) {
            writeMarker(folder);
        }
        return found;
    }

    /**
     * Checks a single output file: it may replace an existing regular file, but it may not be a folder, an input,
     * or lie inside an input folder. Removes the leftovers of an interrupted write of it.
     *
     * @param file the output file
     * @throws OutputRefusedException naming the file and the reason
     * @throws IOException when the file or the inputs cannot be inspected
     */
    public void checkFile(Path file) throws IOException {
        checkInputs(file);
        if (Files.isDirectory(file)) {
            throw new OutputRefusedException(option + " " + file + " is a folder; give the path of a file");
        }
        AtomicFiles.removeLeftovers(file);
    }

    /**
     * The kind recorded in {@code folder}'s marker.
     *
     * @param folder a folder, or any path
     * @return the kind, or empty when {@code folder} has no marker
     * @throws IOException when the marker exists but cannot be read
     */
    public static Optional<String> kindOf(Path folder) throws IOException {
        Path marker = folder.resolve(MARKER);
        if (!Files.isRegularFile(marker)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(marker, StandardCharsets.UTF_8);
        return lines.isEmpty() || lines.get(0).isBlank() ? Optional.empty() : Optional.of(lines.get(0).strip());
    }

    private void writeMarker(Path folder) throws IOException {
        AtomicFiles.writeString(folder.resolve(MARKER), kind + "\nwritten by " + writtenBy + "; running it again"
                + " with this folder replaces what it wrote here\n");
    }

    private void checkInputs(Path output) throws IOException {
        Path out = realPath(output);
        for (Map.Entry<Path, String> input : inputs.entrySet()) {
            if (!Files.exists(input.getKey())) {
                continue; // the command reports a missing input itself
            }
            Path in = input.getKey().toRealPath();
            String which = input.getValue() + " " + input.getKey();
            if (out.equals(in)) {
                throw new OutputRefusedException(option + " " + output + " is the input " + which
                        + "; choose another path (--overwrite never replaces an input)");
            }
            if (in.startsWith(out)) {
                throw new OutputRefusedException(option + " " + output + " contains the input " + which
                        + "; choose another path (--overwrite never replaces an input)");
            }
            if (out.startsWith(in) && Files.isDirectory(in)) {
                throw new OutputRefusedException(option + " " + output + " lies inside the input " + which
                        + "; choose a path outside it");
            }
        }
    }

    /** The real path of {@code p}, which need not exist: its deepest existing ancestor resolved, the rest appended. */
    private static Path realPath(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing == null ? abs : existing.toRealPath().resolve(existing.relativize(abs));
    }

    private static List<String> entries(Path folder) throws IOException {
        try (Stream<Path> list = Files.list(folder)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
