package ai.sara4j.djl.train;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * What the {@link Trainer} minimises: the forward and backward pass of one micro-batch of examples of type
 * {@code E} through the model block. {@link CausalLmObjective} is the causal language-modelling loss of a
 * {@code CausalLM}; {@link LossObjective} puts any DJL {@code Loss} over a user's own block and data.
 *
 * <p>The loss of an update is the sum over its micro-batches divided by the counted targets of the whole update, so
 * gradient accumulation equals one big batch: the trainer first asks {@link #countedTargets} of every micro-batch of
 * the update, then calls {@link #forwardBackward} with {@code lossFactor} = (loss scale) / (counted targets of the
 * update).
 *
 * @param <E> one training example
 */
public interface TrainingObjective<E> {

    /**
     * The units the loss of {@code examples} sums over (target tokens of a language model, examples of a
     * classifier): the denominator of the mean loss.
     *
     * @param examples one micro-batch
     * @return the counted targets, &gt;= 0
     */
    long countedTargets(List<E> examples);

    /**
     * Runs the forward pass of {@code examples} through {@code model} in training mode and the backward pass of
     * {@code lossFactor}·(summed loss), so that the gradients accumulate in the trainable parameters. The trainer
     * calls it inside a gradient recording and an {@code NDScope} that closes every array made here.
     *
     * @param store the parameter store to run the model with
     * @param manager a manager on the parameters' device, for the batch's arrays
     * @param model the network being trained
     * @param examples one micro-batch
     * @param lossFactor what the summed loss is multiplied by before backward
     * @return the summed (not yet multiplied) loss and the tokens or examples processed
     */
    MicroBatchLoss forwardBackward(ParameterStore store, NDManager manager, Block model, List<E> examples,
            double lossFactor);

    /**
     * The outcome of one micro-batch.
     *
     * @param lossSum the loss summed over the micro-batch's counted targets
     * @param tokens the tokens (padding excluded) or examples processed, for throughput
     */
    record MicroBatchLoss(double lossSum, long tokens) {}
}
