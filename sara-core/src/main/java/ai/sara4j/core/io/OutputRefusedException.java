package ai.sara4j.core.io;

import java.io.IOException;

/** An output path that a command may not write ({@link OutputFolder}); the message names the path and why. */
public class OutputRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception for an output path that may not be written.
     *
     * @param message names the output path and the reason
     */
    public OutputRefusedException(String message) {
        super(message);
    }
}
