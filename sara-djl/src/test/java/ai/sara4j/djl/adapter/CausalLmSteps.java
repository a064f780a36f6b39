package ai.sara4j.djl.adapter;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.sara4j.djl.model.CausalLM;
import ai.sara4j.djl.model.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal causal-LM training step for adapter tests (the full trainer lives elsewhere): E2E lines
 * {@code meaning representation||reference} become prompt + target, the loss is the mean token cross-entropy on the
 * target part only (as the paper's fine-tuning), right-padded batches with an attention mask.
 */
final class CausalLmSteps {
    /** A padded batch: ids and mask (B, T), and the loss weight of each next-token prediction (B, T−1). */
    record Batch(long[] ids, long[] mask, float[] targetMask, int batch, int length) {}

    private CausalLmSteps() {}

    static Batch batch(TextTokenizer tokenizer, List<String> lines, long eos) {
        List<long[]> seqs = new ArrayList<>();
        List<Integer> promptLengths = new ArrayList<>();
        for (String line : lines) {
            int sep = line.indexOf("||");
            long[] prompt = tokenizer.encode(line.substring(0, sep + 2));
            long[] full = tokenizer.encode(line);
            long[] withEos = java.util.Arrays.copyOf(full, full.length + 1);
            withEos[full.length] = eos;
            seqs.add(withEos);
            promptLengths.add(prompt.length);
        }
        int length = seqs.stream().mapToInt(s -> s.length).max().orElseThrow();
        int b = seqs.size();
        long[] ids = new long[b * length];
        long[] mask = new long[b * length];
        float[] target = new float[b * (length - 1)];
        for (int i = 0; i < b; i++) {
            long[] s = seqs.get(i);
            for (int t = 0; t < s.length; t++) {
                ids[i * length + t] = s[t];
                mask[i * length + t] = 1;
                // position t−1 predicts token t; only reference tokens count
                if (t >= promptLengths.get(i)) {
                    target[i * (length - 1) + t - 1] = 1;
                }
            }
        }
        return new Batch(ids, mask, target, b, length);
    }

    /** Mean cross-entropy of the target tokens. */
    static NDArray loss(CausalLM model, NDManager manager, Batch batch, boolean training) {
        Shape bt = new Shape(batch.batch(), batch.length());
        NDArray ids = manager.create(batch.ids(), bt);
        NDArray logits = model.forward(new ParameterStore(manager, false), ids, manager.create(batch.mask(), bt),
                null, training); // (B, T, V)
        int t = batch.length() - 1;
        NDArray logp = logits.get(":, :" + t + ", :").logSoftmax(-1);
        NDArray next = ids.get(":, 1:").expandDims(-1); // (B, T−1, 1)
        NDArray picked = logp.gather(next, -1).squeeze(-1); // (B, T−1)
        NDArray weight = manager.create(batch.targetMask(), new Shape(batch.batch(), t));
        return picked.mul(weight).sum().neg().div(weight.sum());
    }

    /** One optimizer step on the adapter; returns the loss before the step. */
    static float step(CausalLM model, NDManager manager, Batch batch, InjectedAdapter adapter, Optimizer optimizer) {
        float value;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                // training=false: the gradient collector records either way, and CausalLM's blocks cannot yet run
                // with training=true (DJL then tries to initialise blocks that were loaded, not initialised).
                // Consequence: adapter dropout is off in this test.
                NDArray loss = loss(model, manager, batch, false);
                collector.backward(loss);
                value = loss.getFloat();
            }
        }
        TestNets.step(optimizer, adapter.trainableParameters());
        return value;
    }

    /** The loss without gradients. */
    static float eval(CausalLM model, NDManager manager, Batch batch) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return loss(model, manager, batch, false).toType(DataType.FLOAT32, false).getFloat();
        }
    }
}
