package ai.sara4j.core.data;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads E2E NLG data: one {@code meaning representation||reference text} pair per line (UTF-8), as in the LoRA
 * paper's E2E files. A meaning representation appears on several consecutive or scattered lines, once per reference.
 *
 * <p>The line is split at its first {@code "||"} (meaning representations use single {@code |} between slots) and
 * both sides are trimmed (the files end every text with a space). Blank lines are skipped.
 *
 * <p>As examples: prompt {@code "<mr> ||"}, target {@code " <text>"} (the tokenizer step appends EOS).
 */
public final class E2eData {
    /** The separator between the meaning representation and the text. */
    public static final String SEPARATOR = "||";

    private E2eData() {}

    /**
     * One line of the file.
     *
     * @param meaning the meaning representation, e.g. {@code name[The Eagle], eatType[coffee shop]}, trimmed
     * @param text the reference text written for it, trimmed
     */
    public record Pair(String meaning, String text) {}

    /**
     * One distinct meaning representation with every reference written for it, in file order.
     *
     * @param meaning the meaning representation
     * @param references the reference texts (never empty)
     */
    public record Group(String meaning, List<String> references) {
        /**
         * Copies the references into an immutable list.
         *
         * @param meaning the meaning representation
         * @param references the reference texts (never empty)
         */
        public Group {
            references = List.copyOf(references);
        }

        /**
         * The prompt the model continues.
         *
         * @return {@code "<mr> ||"}, as {@link E2eData#prompt(String)} makes it
         */
        public String prompt() {
            return E2eData.prompt(meaning);
        }
    }

    /**
     * Every pair of a file, in file order; blank lines are skipped.
     *
     * @param file a UTF-8 file of {@code mr||text} lines
     * @return the pairs, at least one
     * @throws DatasetException when the file is missing, not UTF-8, has a line without {@code ||} or with an empty
     *     side, or holds no pair (the message names the file and line)
     */
    public static List<Pair> read(Path file) throws DatasetException {
        DatasetException.requireFile(file);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new DatasetException(file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new DatasetException(file + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
        }
        List<Pair> pairs = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int sep = line.indexOf(SEPARATOR);
            String where = file + ": line " + (i + 1);
            if (sep < 0) {
                throw new DatasetException(where + ": expected 'meaning representation||text', found no '||' in: "
                        + abbreviate(line));
            }
            String meaning = line.substring(0, sep).strip();
            String text = line.substring(sep + SEPARATOR.length()).strip();
            if (meaning.isEmpty() || text.isEmpty()) {
                throw new DatasetException(where + ": empty " + (meaning.isEmpty() ? "meaning representation" : "text")
                        + " in: " + abbreviate(line));
            }
            pairs.add(new Pair(meaning, text));
        }
        if (pairs.isEmpty()) {
            throw new DatasetException(file + ": no 'meaning representation||text' lines");
        }
        return pairs;
    }

    /**
     * The training examples of a file, one per line: prompt {@code "<mr> ||"}, target {@code " <text>"}, the text as
     * the only reference.
     *
     * @param file a UTF-8 file of {@code mr||text} lines
     * @return the examples, in file order
     * @throws DatasetException as {@link #read(Path)} does
     */
    public static List<Example> examples(Path file) throws DatasetException {
        return read(file).stream().map(p -> new Example(prompt(p.meaning()), " " + p.text(), List.of(p.text()))).toList();
    }

    /**
     * The pairs grouped by distinct meaning representation, as the E2E evaluation scores one output per meaning
     * representation against all its references.
     *
     * @param pairs the pairs of a file, as {@link #read(Path)} returns them
     * @return one group per distinct meaning representation, in order of first appearance, references in file order
     */
    public static List<Group> group(List<Pair> pairs) {
        Map<String, List<String>> byMeaning = new LinkedHashMap<>();
        for (Pair p : pairs) {
            byMeaning.computeIfAbsent(p.meaning(), k -> new ArrayList<>()).add(p.text());
        }
        return byMeaning.entrySet().stream().map(e -> new Group(e.getKey(), e.getValue())).toList();
    }

    /**
     * One evaluation example per distinct meaning representation of {@code file}, in order of first appearance: the
     * prompt, the first reference as target, all references.
     *
     * @param file a UTF-8 file of {@code mr||text} lines, typically the test split
     * @return the examples, one per distinct meaning representation
     * @throws DatasetException as {@link #read(Path)} does
     */
    public static List<Example> evaluationExamples(Path file) throws DatasetException {
        return group(read(file)).stream()
                .map(g -> new Example(g.prompt(), " " + g.references().get(0), g.references()))
                .toList();
    }

    /**
     * The prompt for a meaning representation, as in the LoRA paper's E2E set-up.
     *
     * @param meaning the meaning representation
     * @return {@code meaning + " ||"}
     */
    public static String prompt(String meaning) {
        return meaning + " " + SEPARATOR;
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 77) + "...";
    }
}
