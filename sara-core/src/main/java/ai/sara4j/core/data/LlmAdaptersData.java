package ai.sara4j.core.data;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the LLM-Adapters JSON datasets: one array of objects with the string fields {@code instruction},
 * {@code input}, {@code output} and {@code answer} (the math and commonsense train and test sets all have the four;
 * plain Alpaca files lack {@code answer}).
 *
 * <p>{@code instruction} is required. {@code input}, {@code output} and {@code answer} may be absent or null and then
 * read as empty; a numeric {@code answer} is read as its text. Other fields are ignored. Training
 * ({@link #examples}) also requires {@code output}, the response the model learns: a record without one is refused
 * rather than trained on an empty target. An empty string is accepted, as the dataset's own convention: the SARA
 * paper's {@code math_train_3260.json} has three such records, and LLM-Adapters' {@code finetune.py} trains them on
 * the end-of-sequence token alone.
 */
public final class LlmAdaptersData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LlmAdaptersData() {}

    /**
     * Every record of {@code file}, in file order.
     *
     * @param file an LLM-Adapters JSON file
     * @return its records
     * @throws DatasetException naming the file, and the record when one is malformed
     */
    public static List<AlpacaRecord> read(Path file) throws DatasetException {
        return read(file, false);
    }

    private static List<AlpacaRecord> read(Path file, boolean outputRequired) throws DatasetException {
        DatasetException.requireFile(file);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonParseException e) {
            throw new DatasetException(file + ": invalid JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new DatasetException(file + ": invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new DatasetException(file + ": expected a JSON array of records"
                    + " ({\"instruction\", \"input\", \"output\", \"answer\"}), found "
                    + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        List<AlpacaRecord> records = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode r = root.get(i);
            String where = file + ": record " + i;
            if (!r.isObject()) {
                throw new DatasetException(where + ": expected an object, found " + r.getNodeType().toString().toLowerCase());
            }
            String instruction = text(r, "instruction", where, false);
            if (instruction == null) {
                throw new DatasetException(where + ": missing field 'instruction'");
            }
            String output = text(r, "output", where, false);
            if (output == null && outputRequired) {
                throw new DatasetException(where + ": missing field 'output' (the response to train on)");
            }
            records.add(new AlpacaRecord(instruction, orEmpty(text(r, "input", where, false)), orEmpty(output),
                    orEmpty(text(r, "answer", where, true))));
        }
        return records;
    }

    /**
     * The records of {@code file} as training examples: the prompt in {@code template}, the {@code output} as target
     * and the {@code answer} as reference (the {@code output} when the file has no answers).
     *
     * @param file an LLM-Adapters JSON file
     * @param template the prompt layout
     * @return one example per record
     * @throws DatasetException naming the file and record, also for a record without {@code output}
     */
    public static List<Example> examples(Path file, PromptTemplate template) throws DatasetException {
        return read(file, true).stream().map(r -> toExample(r, template)).toList();
    }

    /**
     * One record as an example; see {@link #examples(Path, PromptTemplate)}.
     *
     * @param r the record
     * @param template the prompt layout
     * @return the prompt in {@code template}, the {@code output} as target, the {@code answer} (or, when empty, the
     *     {@code output}) as the single reference
     */
    public static Example toExample(AlpacaRecord r, PromptTemplate template) {
        String reference = r.answer().isEmpty() ? r.output() : r.answer();
        return new Example(r.prompt(template), r.output(), List.of(reference));
    }

    /** The field as text, null when absent or JSON null; an error for objects, arrays, booleans (and numbers unless allowed). */
    private static String text(JsonNode record, String field, String where, boolean numberAllowed)
            throws DatasetException {
        JsonNode v = record.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual() || (numberAllowed && v.isNumber())) {
            return v.asText();
        }
        throw new DatasetException(where + ": field '" + field + "' must be a string, found "
                + v.getNodeType().toString().toLowerCase());
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
