package ai.sara4j.core.safetensors;

import java.io.IOException;

/** A safetensors file or checkpoint folder that cannot be read as asked; the message names the file and tensor. */
public class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
