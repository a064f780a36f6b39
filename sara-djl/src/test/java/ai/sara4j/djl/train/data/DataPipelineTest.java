package ai.sara4j.djl.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Tokenization with loss masking and counted truncation, seeded batch order, right padding. */
class DataPipelineTest {
    private static final long EOS = 2;
    private static final long I = TrainingExample.IGNORE;

    /** A character-level "tokenizer": BOS 1 then one id per character (its code). */
    private static ExampleTokenizer chars(int maxLength) {
        return new ExampleTokenizer(s -> {
            long[] ids = new long[s.length() + 1];
            ids[0] = 1;
            for (int i = 0; i < s.length(); i++) {
                ids[i + 1] = s.charAt(i);
            }
            return ids;
        }, EOS, maxLength);
    }

    @Test
    void lossCoversTargetAndEosOnly() {
        TokenizedDataset d = chars(16).tokenize(List.of("ab"), List.of("xy"));
        TrainingExample e = d.examples().get(0);
        assertArrayEquals(new long[] {1, 'a', 'b', 'x', 'y', EOS}, e.inputIds());
        assertArrayEquals(new long[] {I, I, I, 'x', 'y', EOS}, e.labels());
        assertEquals(0, d.truncated());
        assertEquals(0, d.dropped());
    }

    @Test
    void anEncoderThatEndsWithEosGetsNoSecondOne() {
        // like a tokenizer_config.json with add_eos_token: the prompt's EOS is not counted in the masked length
        ExampleTokenizer withEos = new ExampleTokenizer(s -> {
            long[] ids = new long[s.length() + 2];
            ids[0] = 1;
            for (int i = 0; i < s.length(); i++) {
                ids[i + 1] = s.charAt(i);
            }
            ids[s.length() + 1] = EOS;
            return ids;
        }, EOS, 16);
        TrainingExample e = withEos.tokenize(List.of("ab"), List.of("xy")).examples().get(0);
        assertArrayEquals(new long[] {1, 'a', 'b', 'x', 'y', EOS}, e.inputIds());
        assertArrayEquals(new long[] {I, I, I, 'x', 'y', EOS}, e.labels());
    }

    @Test
    void theJoinedTextIsTokenizedOnce() {
        // a tokenizer that merges "bx" into one token: the joint ids have it, the mask covers the prompt's length
        ExampleTokenizer merging = new ExampleTokenizer(s -> s.replace("bx", "#").chars().asLongStream().toArray(),
                EOS, 16);
        TrainingExample e = merging.tokenize(List.of("ab"), List.of("xy")).examples().get(0);
        assertArrayEquals(new long[] {'a', '#', 'y', EOS}, e.inputIds());
        assertArrayEquals(new long[] {I, I, 'y', EOS}, e.labels());
    }

    @Test
    void truncationCutsTheTargetEndAndIsCounted() {
        TokenizedDataset d = chars(5).tokenize(List.of("ab", "a", "abcd", "abcdefg"), List.of("xyz", "x", "x", "x"));
        // "ab"+"xyz"+EOS = 7 > 5: keeps BOS a b x y (no EOS); "a"+"x"+EOS = 4 fits; prompt "abcd" (5 ids) fills it
        assertEquals(1, d.truncated());
        assertEquals(2, d.dropped());
        assertEquals(2, d.size());
        assertArrayEquals(new long[] {1, 'a', 'b', 'x', 'y'}, d.examples().get(0).inputIds());
        assertArrayEquals(new long[] {I, I, I, 'x', 'y'}, d.examples().get(0).labels());
        assertArrayEquals(new long[] {1, 'a', 'x', EOS}, d.examples().get(1).inputIds());
    }

    @Test
    void batchOrderIsASeededPermutationPerEpoch() {
        BatchOrder order = new BatchOrder(10, 4, 42);
        assertEquals(3, order.batchesPerEpoch());
        for (int epoch = 0; epoch < 2; epoch++) {
            List<Integer> seen = new ArrayList<>();
            for (int b = 0; b < 3; b++) {
                seen.addAll(order.batch(epoch * 3L + b));
            }
            assertEquals(10, seen.size());
            assertEquals(10, new HashSet<>(seen).size()); // every example once per epoch
        }
        assertEquals(2, order.batch(2).size()); // the last batch of an epoch takes the rest
        assertNotEquals(order.batch(0), order.batch(3)); // a new permutation each epoch
        assertEquals(order.batch(4), new BatchOrder(10, 4, 42).batch(4)); // a pure function of (seed, batch)
        assertNotEquals(Set.copyOf(order.batch(0)), Set.copyOf(new BatchOrder(10, 4, 43).batch(0)));
    }

    @Test
    void batchesArePaddedOnTheRightWithMasks() {
        TokenizedDataset d = chars(16).tokenize(List.of("ab", "a"), List.of("x", "xyz"));
        try (NDManager m = NDManager.newBaseManager()) {
            Batch b = Batch.of(m, d.examples(), 0);
            assertArrayEquals(new long[] {1, 'a', 'b', 'x', EOS, 0, 1, 'a', 'x', 'y', 'z', EOS},
                    b.inputIds().toLongArray());
            assertArrayEquals(new long[] {1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1}, b.attentionMask().toLongArray());
            assertArrayEquals(new long[] {I, I, I, 'x', EOS, I, I, I, 'x', 'y', 'z', EOS}, b.labels().toLongArray());
            assertEquals(11, b.tokens());
            assertEquals(6, b.targetTokens());
        }
    }
}
