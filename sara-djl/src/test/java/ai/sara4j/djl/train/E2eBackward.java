package ai.sara4j.djl.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.data.Example;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.adapter.AdapterLayer;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.engine.Scalars;
import ai.sara4j.djl.model.LanguageModel;
import ai.sara4j.djl.train.data.Batch;
import ai.sara4j.djl.train.data.ExampleTokenizer;
import ai.sara4j.djl.train.data.TokenizedDataset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** One backward pass of the E2E target loss through a model with an adapter, for the gradient tests. */
final class E2eBackward {
    static final long EOS = 2;

    private E2eBackward() {}

    /** Lines {@code from} to {@code from + count} of the shared E2E file, tokenized for {@code lm} (max length 64). */
    static TokenizedDataset lines(LanguageModel lm, int from, int count) throws Exception {
        List<Example> lines = E2eData.examples(SharedData.require("data/e2e/valid.txt")).subList(from, from + count);
        return ExampleTokenizer.of(lm.tokenizer(), EOS, 64).tokenize(lines.stream().map(Example::prompt).toList(),
                lines.stream().map(Example::target).toList());
    }

    /**
     * The trainable adapter tensors' gradients (by {@code module.tensor}, as float32, then zeroed) of the batch's mean
     * target loss, as {@link Trainer} computes it; {@code beforeBackward} runs between forward and backward.
     */
    static Map<String, float[]> gradients(LanguageModel lm, AdaptedModel adapter, TokenizedDataset data,
            Consumer<NDArray> beforeBackward) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Batch batch = Batch.of(lm.manager(), data.examples(), EOS);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = lm.model().forward(new ParameterStore(lm.manager(), false), batch.inputIds(),
                        batch.attentionMask(), null, true);
                beforeBackward.accept(logits);
                NDArray summed = CausalLmLoss.sum(logits, batch.labels());
                collector.backward(summed.mul(Scalars.like(summed, 1.0 / batch.targetTokens())));
            }
            for (Map.Entry<String, AdapterLayer> layer : adapter.layers().entrySet()) {
                layer.getValue().tensors().forEach((name, p) -> {
                    if (p.requiresGradient()) { // frozen tensors (EDoRA's A and B, Mo-SARA's P and Q) have none
                        out.put(layer.getKey() + "." + name, p.getArray().getGradient().toFloatArray());
                        JniUtils.zeroGrad((PtNDArray) p.getArray());
                    }
                });
            }
        }
        return out;
    }
}
