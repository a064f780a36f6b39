package ai.sara4j.djl.train.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which examples form each batch: every epoch is a fresh permutation of the examples drawn from
 * {@code Random(seed + epoch)}, cut into batches of {@code batchSize} (the last one smaller when the size does not
 * divide). Batches are numbered globally across epochs, so batch {@code n} is a pure function of (seed, n): a
 * resumed run needs no saved iterator state.
 */
public final class BatchOrder {
    private final int exampleCount;
    private final int batchSize;
    private final long seed;
    private int cachedEpoch = -1;
    private List<Integer> cachedPermutation;

    /**
     * The order of a training set.
     *
     * @param exampleCount examples in the training set, at least 1
     * @param batchSize examples per batch, at least 1
     * @param seed the run's seed; epoch e shuffles with {@code Random(seed + e)}
     * @throws IllegalArgumentException when {@code exampleCount} or {@code batchSize} is below 1
     */
    public BatchOrder(int exampleCount, int batchSize, long seed) {
        if (exampleCount < 1) {
            throw new IllegalArgumentException("no training examples");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.exampleCount = exampleCount;
        this.batchSize = batchSize;
        this.seed = seed;
    }

    /**
     * Batches in one epoch.
     *
     * @return ⌈exampleCount / batchSize⌉
     */
    public int batchesPerEpoch() {
        return (exampleCount + batchSize - 1) / batchSize;
    }

    /**
     * The epoch a batch belongs to.
     *
     * @param batch a global batch number, from 0
     * @return its epoch, from 0
     */
    public int epochOf(long batch) {
        return Math.toIntExact(batch / batchesPerEpoch());
    }

    /**
     * Indices of the examples in a batch.
     *
     * @param batch a global batch number, from 0
     * @return indices into the training set, in permutation order; {@code batchSize} of them (fewer for an epoch's
     *     last batch when the size does not divide)
     */
    public List<Integer> batch(long batch) {
        List<Integer> order = permutation(epochOf(batch));
        int start = Math.toIntExact(batch % batchesPerEpoch()) * batchSize;
        return order.subList(start, Math.min(start + batchSize, exampleCount));
    }

    private List<Integer> permutation(int epoch) {
        if (epoch != cachedEpoch) {
            List<Integer> order = new ArrayList<>(exampleCount);
            for (int i = 0; i < exampleCount; i++) {
                order.add(i);
            }
            Collections.shuffle(order, new Random(seed + epoch));
            cachedPermutation = List.copyOf(order);
            cachedEpoch = epoch;
        }
        return cachedPermutation;
    }
}
