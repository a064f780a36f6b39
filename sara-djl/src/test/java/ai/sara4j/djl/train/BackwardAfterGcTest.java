package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.data.Example;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.InjectedAdapter;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.engine.Scalars;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.data.Batch;
import ai.sara4j.djl.train.data.ExampleTokenizer;
import ai.sara4j.djl.train.data.TokenizedDataset;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    private static final long EOS = 2;
    private static final List<ByteBuffer> POISON = new ArrayList<>();

    /** Collects garbage and fills what malloc hands out next (the freed buffers, typically) with NaN bytes. */
    private static void collectAndPoison() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(50); // direct buffers are freed by a cleaner thread after the collection
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

    private static Map<String, float[]> gradients(LanguageModel lm, InjectedAdapter adapter, TokenizedDataset data,
            boolean poison) throws InterruptedException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Batch batch = Batch.of(lm.manager(), data.examples(), EOS);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = lm.model().forward(new ParameterStore(lm.manager(), false), batch.inputIds(),
                        batch.attentionMask(), null, true);
                NDArray summed = CausalLmLoss.sum(logits, batch.labels());
                NDArray scaled = summed.mul(Scalars.like(summed, 1.0 / batch.targetTokens())); // as Trainer does
                if (poison) {
                    collectAndPoison();
                }
                collector.backward(scaled);
            }
            for (Map.Entry<String, AdapterLayer> layer : adapter.layers().entrySet()) {
                layer.getValue().tensors().forEach((name, p) -> {
                    out.put(layer.getKey() + "." + name, p.getArray().getGradient().toFloatArray());
                    ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p.getArray());
                });
            }
        }
        return out;
    }

    @Test
    void gradientsDoNotChangeWhenTheJvmFreesMemoryBeforeBackward() throws Exception {
        try (LanguageModel lm = LanguageModel.load(SharedData.tinyStories())) {
            // LoRA with scaling 2 and a non-zero B, so that every factor of the chain is exercised
            InjectedAdapter adapter = Adapters.inject(lm.model(),
                    LoraConfig.of(TargetMatcher.names("q_proj", "v_proj", "down_proj"), 4, 8).withDropout(0));
            adapter.layers().values().forEach(l -> l.tensors().forEach((name, p) -> {
                if (name.startsWith("lora_B")) {
                    p.getArray().addi(0.05);
                }
            }));
            List<Example> lines = E2eData.examples(SharedData.require("data/e2e/valid.txt")).subList(0, 4);
            TokenizedDataset data = ExampleTokenizer.of(lm.tokenizer(), EOS, 64).tokenize(
                    lines.stream().map(Example::prompt).toList(), lines.stream().map(Example::target).toList());
            Map<String, float[]> clean = gradients(lm, adapter, data, false);
            for (Map.Entry<String, float[]> e : clean.entrySet()) {
                double norm = 0;
                for (float g : e.getValue()) {
                    norm += g * g;
                }
                assertTrue(norm > 0, e.getKey() + ": zero gradient");
            }
            for (int attempt = 0; attempt < 3; attempt++) {
                Map<String, float[]> poisoned = gradients(lm, adapter, data, true);
                assertEquals(clean.keySet(), poisoned.keySet());
                for (String name : clean.keySet()) {
                    assertArrayEquals(clean.get(name), poisoned.get(name), name);
                }
            }
        }
    }
}
