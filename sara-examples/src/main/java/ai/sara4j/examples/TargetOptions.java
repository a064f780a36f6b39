package ai.sara4j.examples;

import ai.sara4j.core.target.TargetMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Option;

/**
 * The target options of {@code plan}, {@code finetune} and {@code bench train}, PEFT's {@code target_modules},
 * {@code exclude_modules}, {@code layers_to_transform} and {@code layers_pattern}, as one {@link TargetMatcher}, so
 * a plan and an injection pick the same modules.
 */
final class TargetOptions {
    @Option(names = "--targets", defaultValue = "q_proj,v_proj",
            description = "Target modules: comma-separated names (PEFT rule: a module matches when its path equals or ends with .name), re:REGEX (full match), or all-linear (every linear module but lm_head) (default ${DEFAULT-VALUE}, the paper's).")
    String targets;

    @Option(names = "--exclude", description = "Modules never adapted, same syntax as --targets (PEFT's exclude_modules).")
    String exclude;

    @Option(names = "--layers", description = "Only these layer indices (PEFT's layers_to_transform): e.g. 0,1,5 or 0-3,6; needs a list --targets.")
    String layers;

    @Option(names = "--layers-pattern", description = "Comma-separated names of the module lists holding the layers, e.g. layers or h (PEFT's layers_pattern; default: the first numbered path segment).")
    String layersPattern;

    /** The matcher the options describe; a bad value is an error naming the option. */
    TargetMatcher matcher() {
        TargetMatcher matcher = named("--targets", () -> TargetMatcher.parse(targets));
        if (exclude != null) {
            TargetMatcher included = matcher;
            matcher = named("--exclude", () -> included.withExclude(exclude));
        }
        if (layers != null || layersPattern != null) {
            List<String> patterns = layersPattern == null || layersPattern.isBlank() ? List.of()
                    : Arrays.stream(layersPattern.split(",", -1)).map(String::trim).toList();
            List<Integer> indices = layers == null ? List.of() : layerIndices(layers);
            TargetMatcher all = matcher;
            matcher = named("--layers/--layers-pattern", () -> all.withLayers(indices, patterns));
        }
        return matcher;
    }

    private static TargetMatcher named(String option, Supplier<TargetMatcher> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }

    /** {@code 0,1,5} or with inclusive ranges {@code 0-3,6}. */
    static List<Integer> layerIndices(String value) {
        List<Integer> out = new ArrayList<>();
        for (String part : value.split(",", -1)) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                if (dash < 0) {
                    out.add(Integer.parseInt(p));
                    continue;
                }
                int from = Integer.parseInt(p.substring(0, dash).trim());
                int to = Integer.parseInt(p.substring(dash + 1).trim());
                if (to < from) {
                    throw new IllegalArgumentException("--layers: empty range '" + p + "'");
                }
                for (int i = from; i <= to; i++) {
                    out.add(i);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--layers: '" + p + "' is not a layer index or range (e.g. 0,1,5 or 0-3)");
            }
        }
        return out;
    }
}
