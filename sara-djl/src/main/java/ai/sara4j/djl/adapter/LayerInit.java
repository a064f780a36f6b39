package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.sara4j.core.peft.PeftConfig;
import java.util.Map;
import java.util.Random;

/**
 * How a new adapter layer gets its tensor values.
 *
 * @param fresh {@code true} to initialise as for training (random draws from {@code random}, SVD of the base
 *     weight through {@code svd}); {@code false} for zero-filled tensors that the loader overwrites
 * @param random the random source shared by all layers of one injection, in module order
 * @param svd the SVD used for ranks and singular vectors
 */
public record LayerInit(boolean fresh, Random random, WeightSvd svd) {
    public static LayerInit fresh(long seed, WeightSvd svd) {
        return new LayerInit(true, new Random(seed), svd);
    }

    public static LayerInit forLoading(WeightSvd svd) {
        return new LayerInit(false, new Random(0), svd);
    }

    /**
     * The rank of {@code module} for the SVD-ranked methods: its {@code rankPattern} entry (PEFT key rule), else
     * SARA's rank rule on the singular values of {@code weight} with {@code threshold}.
     */
    public int rankFor(String module, Map<String, Integer> rankPattern, double threshold, NDArray weight) {
        return PeftConfig.patternKey(rankPattern.keySet(), module).map(rankPattern::get)
                .orElseGet(() -> RankRule.rank(svd.singularValues(weight), threshold));
    }
}
