package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.rank.RankRule;
import ai.sara4j.djl.svd.EngineSvd;
import java.util.Map;
import java.util.Random;

/**
 * How a new adapter layer gets its tensor values.
 *
 * @param fresh {@code true} to initialise as for training (random draws from {@code random}, SVD of the base
 *     weight through {@code svd}); {@code false} for zero-filled tensors that the loader overwrites
 * @param random the random source shared by all layers of one injection, in module order
 * @param svd the engine SVD (on the model's device) for ranks and singular vectors; null when loading
 */
public record LayerInit(boolean fresh, Random random, EngineSvd svd) {
    static LayerInit fresh(long seed, EngineSvd svd) {
        return new LayerInit(true, new Random(seed), svd);
    }

    static LayerInit forLoading() {
        return new LayerInit(false, new Random(0), null);
    }

    /**
     * The rank of {@code module} for the SVD-ranked methods: its {@code rankPattern} entry (PEFT key rule), else
     * SARA's rank rule with {@code threshold} on the singular values of {@code weight}, computed in float64 so the
     * rank matches a float64 reference exactly.
     *
     * @param module the dotted module path
     * @param rankPattern per-module ranks (PEFT's {@code rank_pattern}); a loaded adapter has every module there
     * @param threshold SARA's share of the singular-value sum to keep, in (0, 1]
     * @param weight the module's base weight (out, in)
     * @return the rank, at least 1
     * @throws IllegalArgumentException when loading ({@code svd} null) and the module has no {@code rank_pattern}
     *     entry, or when the spectrum is invalid (zero matrix, NaN), naming the module
     */
    public int rankFor(String module, Map<String, Integer> rankPattern, double threshold, NDArray weight) {
        return PeftConfig.patternKey(rankPattern.keySet(), module).map(rankPattern::get).orElseGet(() -> {
            if (svd == null) {
                throw new IllegalArgumentException("module '" + module + "' has no rank in rank_pattern");
            }
            try (NDArray w64 = weight.toType(DataType.FLOAT64, true);
                    NDArray sigma = svd.singularValues(w64)) {
                return new RankRule(threshold).rank(module, sigma.toDoubleArray());
            }
        });
    }
}
