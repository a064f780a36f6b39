package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.sara4j.djl.model.CausalLM;
import ai.sara4j.djl.train.data.Batch;
import ai.sara4j.djl.train.data.TrainingExample;
import java.util.List;

/**
 * The causal language-modelling objective of a {@link CausalLM}: examples right-padded into a {@link Batch}, the
 * model's logits, and the shifted-label cross-entropy over the target tokens ({@link CausalLmLoss#sumAndBackward}).
 * The trainer's default for a {@code CausalLM} trained on a {@code TokenizedDataset}.
 */
public final class CausalLmObjective implements TrainingObjective<TrainingExample> {
    private final long padTokenId;

    private CausalLmObjective(long padTokenId) {
        this.padTokenId = padTokenId;
    }

    /**
     * The causal-LM objective for batches right-padded with {@code padTokenId}.
     *
     * @param padTokenId the id right padding is filled with (it never reaches the loss: its label is ignored)
     * @return the objective
     */
    public static CausalLmObjective padding(long padTokenId) {
        return new CausalLmObjective(padTokenId);
    }

    /** {@return the id right padding is filled with} */
    public long padTokenId() {
        return padTokenId;
    }

    @Override
    public long countedTargets(List<TrainingExample> examples) {
        return Batch.countedTargets(examples);
    }

    @Override
    public MicroBatchLoss forwardBackward(ParameterStore store, NDManager manager, Block model,
            List<TrainingExample> examples, double lossFactor) {
        if (!(model instanceof CausalLM lm)) {
            throw new IllegalArgumentException("the causal-LM objective needs a CausalLM, got "
                    + model.getClass().getName() + ": pass your own TrainingObjective");
        }
        Batch batch = Batch.of(manager, examples, padTokenId);
        NDArray logits = lm.forward(store, batch.inputIds(), batch.attentionMask(), null, true);
        return new MicroBatchLoss(CausalLmLoss.sumAndBackward(logits, batch.labels(), lossFactor), batch.tokens());
    }
}
