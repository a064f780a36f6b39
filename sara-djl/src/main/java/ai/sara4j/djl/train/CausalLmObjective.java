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
 *
 * <p>The pass is {@link CausalLM#forwardBackward}: the dropout masks are drawn per layer from a base seed taken from
 * the engine's generator, and with {@linkplain #withGradientCheckpointing gradient checkpointing} the layers'
 * activations are recomputed during the backward pass instead of kept.
 */
public final class CausalLmObjective implements TrainingObjective<TrainingExample> {
    private final long padTokenId;
    private final boolean gradientCheckpointing;
    private final double labelSmoothing;

    private CausalLmObjective(long padTokenId, boolean gradientCheckpointing, double labelSmoothing) {
        this.padTokenId = padTokenId;
        this.gradientCheckpointing = gradientCheckpointing;
        this.labelSmoothing = labelSmoothing;
    }

    /**
     * The causal-LM objective for batches right-padded with {@code padTokenId}.
     *
     * @param padTokenId the id right padding is filled with (it never reaches the loss: its label is ignored)
     * @return the objective
     */
    public static CausalLmObjective padding(long padTokenId) {
        return new CausalLmObjective(padTokenId, false, 0);
    }

    /**
     * This objective with or without gradient (activation) checkpointing: the decoder layers' activations are
     * recomputed one layer at a time during the backward pass (see {@link CausalLM#forwardBackward}), which trades
     * about one more forward pass for the memory of all but one layer's activations. The gradients are those of the
     * plain pass.
     *
     * @param value whether to checkpoint
     * @return a copy with that setting
     */
    public CausalLmObjective withGradientCheckpointing(boolean value) {
        return new CausalLmObjective(padTokenId, value, labelSmoothing);
    }

    /**
     * This objective with label smoothing ε in the loss ({@link CausalLmLoss#sumAndBackward(NDArray, NDArray,
     * double, double)}).
     *
     * @param value ε, in [0, 1); 0 for none
     * @return a copy with that setting
     * @throws IllegalArgumentException when {@code value} is outside [0, 1)
     */
    public CausalLmObjective withLabelSmoothing(double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1), got " + value);
        }
        return new CausalLmObjective(padTokenId, gradientCheckpointing, value);
    }

    /** {@return the label smoothing ε of the loss, 0 for none} */
    public double labelSmoothing() {
        return labelSmoothing;
    }

    /** {@return whether the layers' activations are recomputed in the backward pass} */
    public boolean gradientCheckpointing() {
        return gradientCheckpointing;
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
        double loss = lm.forwardBackward(store, batch.inputIds(), batch.attentionMask(), gradientCheckpointing,
                logits -> CausalLmLoss.sumAndBackward(logits, batch.labels(), labelSmoothing, lossFactor));
        return new MicroBatchLoss(loss, batch.tokens());
    }
}
