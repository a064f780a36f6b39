package ai.sara4j.djl.model;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/** The committed model fixtures made by {@code tools/fixtures/make_model_fixtures.py}. */
final class Fixtures {
    /** The tiny random-weight checkpoints, one per family. */
    static final List<String> TINY = List.of("llama-gqa", "gptj", "gpt2");

    private Fixtures() {}

    static Path model(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/models/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
