package ai.sara4j.djl.model;

import java.io.IOException;

/**
 * A model folder, {@code config.json} or checkpoint that cannot be loaded. The message is one line naming the file
 * and the problem, fit to print as the whole error of a command.
 */
public class ModelException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An error without an underlying cause, e.g. a missing field.
     *
     * @param message one line naming the file and the problem
     */
    public ModelException(String message) {
        super(message);
    }

    /**
     * An error caused by another, e.g. an I/O or JSON error.
     *
     * @param message one line naming the file and the problem
     * @param cause the underlying error
     */
    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The first line of a message from elsewhere (JSON parsers add a multi-line location excerpt). */
    static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
