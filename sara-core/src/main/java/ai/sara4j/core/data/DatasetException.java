package ai.sara4j.core.data;

import java.io.IOException;

/** A data file that cannot be read as a dataset; the message names the file and the line or record. */
public class DatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
