package ai.sara4j.core.target;

import java.util.OptionalInt;

/**
 * Where a module sits in a decoder, read from its dotted path, for per-layer charts and tables: its kind (the last
 * segment, {@code q_proj}) and its layer index (the first all-digit segment, {@code model.layers.3.self_attn.q_proj}
 * → 3).
 */
public final class ModulePath {
    private ModulePath() {}

    /**
     * The module's kind.
     *
     * @param module a dotted module path
     * @return its last segment ({@code model.layers.3.self_attn.q_proj} → {@code q_proj})
     */
    public static String kind(String module) {
        return module.substring(module.lastIndexOf('.') + 1);
    }

    /**
     * The module's layer index.
     *
     * @param module a dotted module path
     * @return the first segment made only of digits, or empty when there is none (or it does not fit an int)
     */
    public static OptionalInt layerIndex(String module) {
        for (String segment : module.split("\\.")) {
            if (!segment.isEmpty() && segment.chars().allMatch(c -> c >= '0' && c <= '9')) {
                try {
                    return OptionalInt.of(Integer.parseInt(segment));
                } catch (NumberFormatException tooLarge) {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.empty();
    }
}
