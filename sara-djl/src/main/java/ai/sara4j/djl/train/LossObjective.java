package ai.sara4j.djl.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Record;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;
import ai.sara4j.djl.engine.Scalars;
import java.util.List;

/**
 * Any DJL {@link Loss} over a user's own block and data, for the {@link Trainer}: each example is a DJL
 * {@link Record} (its data: the block's inputs without the batch axis; its labels: the loss's labels); a micro-batch
 * is stacked ({@link Batchifier#STACK}), moved to the parameters' device, run through {@code block.forward(store,
 * data, true)}, and {@code loss.evaluate(labels, predictions)} is taken. DJL's losses return the mean over the
 * batch, so the summed loss of a micro-batch of n examples is n times that mean and the trainer's mean is over the
 * examples of the whole update. A loss whose {@code evaluate} multiplies by a Java number on the differentiable path
 * (DJL's {@code L2Loss}) meets DJL's freed-constant problem ({@link Scalars}); {@code SoftmaxCrossEntropyLoss} with
 * weight 1 does not.
 *
 * <pre>{@code
 * List<Record> examples = ...; // (features, class) pairs
 * Trainer.builder(adapted).data(examples, LossObjective.of(Loss.softmaxCrossEntropyLoss())).options(o).build().train();
 * }</pre>
 */
public final class LossObjective implements TrainingObjective<Record> {
    private final Loss loss;

    private LossObjective(Loss loss) {
        this.loss = loss;
    }

    /**
     * An objective for any DJL loss, each example counting once.
     *
     * @param loss a DJL loss whose {@code evaluate} returns the mean over the batch (every DJL loss does)
     * @return the objective
     */
    public static LossObjective of(Loss loss) {
        return new LossObjective(loss);
    }

    /** Every example counts once. */
    @Override
    public long countedTargets(List<Record> examples) {
        return examples.size();
    }

    @Override
    public MicroBatchLoss forwardBackward(ParameterStore store, NDManager manager, Block model, List<Record> examples,
            double lossFactor) {
        NDList data = stack(examples.stream().map(Record::getData).toArray(NDList[]::new), manager.getDevice());
        NDList labels = stack(examples.stream().map(Record::getLabels).toArray(NDList[]::new), manager.getDevice());
        NDArray mean = loss.evaluate(labels, model.forward(store, data, true));
        int n = examples.size();
        NDArray scaled = mean.mul(Scalars.like(mean, lossFactor * n));
        JniUtils.backward((PtNDArray) scaled, (PtNDArray) scaled.onesLike(), false, false);
        return new MicroBatchLoss(mean.toType(DataType.FLOAT64, false).getDouble() * n, n);
    }

    private static NDList stack(NDList[] items, Device device) {
        NDList stacked = Batchifier.STACK.batchify(items);
        return stacked.head().getDevice().equals(device) ? stacked : stacked.toDevice(device, false);
    }
}
