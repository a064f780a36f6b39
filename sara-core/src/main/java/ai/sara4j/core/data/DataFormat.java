package ai.sara4j.core.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The training-data layouts SARA4J reads. */
public enum DataFormat {
    /** LLM-Adapters / Alpaca JSON, prompted with {@link PromptTemplate#TRAINING}. */
    ALPACA,
    /** E2E NLG lines {@code mr||text}. */
    E2E;

    /**
     * The format a file name suggests: {@code .json} (any case) is {@link #ALPACA}, anything else {@link #E2E}.
     *
     * @param file the data file; only its name is looked at
     * @return the suggested format
     */
    public static DataFormat detect(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json") ? ALPACA : E2E;
    }

    /**
     * The format named on a command line.
     *
     * @param name {@code alpaca} or {@code e2e}, any case
     * @return the format
     * @throws IllegalArgumentException for any other name
     */
    public static DataFormat parse(String name) {
        for (DataFormat f : values()) {
            if (f.name().equalsIgnoreCase(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown data format '" + name + "' (expected alpaca or e2e)");
    }

    /**
     * The training examples of a file in this format, one per record or line: for {@link #ALPACA} prompted with
     * {@link PromptTemplate#TRAINING} and the record's {@code output} as target, for {@link #E2E} as
     * {@link E2eData#examples(Path)} makes them.
     *
     * @param file the data file
     * @return the examples, in file order
     * @throws DatasetException when the file is missing, unreadable or malformed (the message names the file and
     *     the record or line)
     */
    public List<Example> trainingExamples(Path file) throws DatasetException {
        return switch (this) {
            case ALPACA -> LlmAdaptersData.examples(file, PromptTemplate.TRAINING);
            case E2E -> E2eData.examples(file);
        };
    }
}
