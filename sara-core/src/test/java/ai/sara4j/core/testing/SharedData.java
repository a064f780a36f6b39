package ai.sara4j.core.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference material beside the checkout ({@code ../shared/}: a real model, datasets). Tests that need it
 * call {@link #require} and are skipped, not failed, where it is absent.
 */
public final class SharedData {
    private SharedData() {}

    /** The shared folder: system property {@code sara.shared} (set by the build), else {@code ../shared}. */
    public static Path root() {
        String prop = System.getProperty("sara.shared");
        return (prop != null ? Path.of(prop) : Path.of("..", "shared")).toAbsolutePath().normalize();
    }

    /** {@code root()/relative}, skipping the calling test when it does not exist. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        assumeTrue(Files.exists(p), () -> "reference material absent: " + p);
        return p;
    }

    /** The real pretrained Llama used across tests. */
    public static Path tinyStories() {
        return require("models/tinystories-656k");
    }
}
