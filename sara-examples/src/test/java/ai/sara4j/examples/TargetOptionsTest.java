package ai.sara4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.target.TargetMatcher;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetOptionsTest {
    @Test
    void layersTakeIndicesAndInclusiveRanges() {
        assertEquals(List.of(0, 1, 5), TargetOptions.layerIndices("0,1,5"));
        assertEquals(List.of(0, 1, 2, 3, 6), TargetOptions.layerIndices("0-3, 6"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> TargetOptions.layerIndices("1,x"));
        assertTrue(bad.getMessage().startsWith("--layers: 'x' is not a layer index"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TargetOptions.layerIndices("3-1"));
    }

    @Test
    void optionsBuildOneMatcherAndErrorsNameTheOption() {
        TargetOptions options = new TargetOptions();
        options.targets = "q_proj,v_proj";
        options.exclude = "re:.*\\.0\\..*";
        options.layers = "0-2";
        options.layersPattern = "layers";
        assertEquals(TargetMatcher.names("q_proj", "v_proj").withExcludeRegex(".*\\.0\\..*")
                .withLayers(List.of(0, 1, 2), List.of("layers")), options.matcher());

        options.layers = null;
        IllegalArgumentException patternOnly = assertThrows(IllegalArgumentException.class, options::matcher);
        assertTrue(patternOnly.getMessage().startsWith("--layers/--layers-pattern: layers_pattern [layers] needs"),
                patternOnly.getMessage());
        options.exclude = "a,,b";
        IllegalArgumentException exclude = assertThrows(IllegalArgumentException.class, options::matcher);
        assertTrue(exclude.getMessage().startsWith("--exclude: exclude modules: empty name"), exclude.getMessage());
    }
}
