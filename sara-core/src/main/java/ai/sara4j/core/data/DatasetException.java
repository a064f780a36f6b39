package ai.sara4j.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A data file that cannot be read as a dataset; the message names the file and the line or record. */
public class DatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An error without an underlying cause, e.g. a malformed line.
     *
     * @param message what is wrong, naming the file and the line or record
     */
    public DatasetException(String message) {
        super(message);
    }

    /**
     * An error caused by another, e.g. an I/O or JSON error.
     *
     * @param message what is wrong, naming the file and the line or record
     * @param cause the underlying error
     */
    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Refuses a data path that is not a readable file, saying which: absent, or a folder.
     *
     * @param file the data path
     * @throws DatasetException naming the path: "no such file" or "is a folder, not a data file"
     */
    static void requireFile(Path file) throws DatasetException {
        if (Files.isDirectory(file)) {
            throw new DatasetException(file + ": is a folder, not a data file");
        }
        if (!Files.exists(file)) {
            throw new DatasetException(file + ": no such file");
        }
    }
}
