package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.data.TokenizedDataset;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The backward pass reads nothing the JVM may free after the forward pass. DJL's {@code mul(Number)} and kin wrap the
 * number in a tensor over a Java buffer that autograd keeps for backward; freed and reused, it turned gradients into
 * garbage now and then (NaN updates, run-to-run differences). Here the JVM collects and the freed memory is
 * overwritten with NaN bytes between forward and backward; the gradients must not change. Skipped when ../shared is
 * absent.
 */
class BackwardAfterGcTest {
    private static final List<ByteBuffer> POISON = new ArrayList<>();

    /** Collects garbage and fills what malloc hands out next (the freed buffers, typically) with NaN bytes. */
    private static void collectAndPoison() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(50); // direct buffers are freed by a cleaner thread after the collection
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            for (int i = 0; i < 4000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(8 << (i % 4));
                while (b.hasRemaining()) {
                    b.put((byte) 0xFF);
                }
                POISON.add(b);
            }
        }
        POISON.clear();
    }

    @Test
    void gradientsDoNotChangeWhenTheJvmFreesMemoryBeforeBackward() throws Exception {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            // LoRA with scaling 2 and a non-zero B, so that every factor of the chain is exercised
            AdaptedModel adapter = Adapters.inject(lm.model(),
                    LoraConfig.of(TargetMatcher.names("q_proj", "v_proj", "down_proj"), 4, 8).withDropout(0));
            adapter.layers().values().forEach(l -> l.tensors().forEach((name, p) -> {
                if (name.startsWith("lora_B")) {
                    p.getArray().addi(0.05);
                }
            }));
            TokenizedDataset data = E2eBackward.lines(lm, 0, 4);
            Map<String, float[]> clean = E2eBackward.gradients(lm, adapter, data, logits -> { });
            for (Map.Entry<String, float[]> e : clean.entrySet()) {
                double norm = 0;
                for (float g : e.getValue()) {
                    norm += g * g;
                }
                assertTrue(norm > 0, e.getKey() + ": zero gradient");
            }
            for (int attempt = 0; attempt < 3; attempt++) {
                Map<String, float[]> poisoned = E2eBackward.gradients(lm, adapter, data, logits -> collectAndPoison());
                assertEquals(clean.keySet(), poisoned.keySet());
                for (String name : clean.keySet()) {
                    assertArrayEquals(clean.get(name), poisoned.get(name), name);
                }
            }
        }
    }
}
