package ai.sara4j.core.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;

/** A safetensors file or checkpoint folder that cannot be read as asked; the message names the file and tensor. */
public class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An error without an underlying cause, e.g. a malformed header.
     *
     * @param message what is wrong, naming the file and, where there is one, the tensor
     */
    public SafetensorsException(String message) {
        super(message);
    }

    /**
     * An error caused by another, e.g. an I/O or JSON error while reading the header.
     *
     * @param message what is wrong, naming the file and, where there is one, the tensor
     * @param cause the underlying error
     */
    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The parser's own message, without Jackson's echo of the whole input. */
    static String reason(IOException e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    }
}
