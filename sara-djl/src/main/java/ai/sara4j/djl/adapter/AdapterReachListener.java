package ai.sara4j.djl.adapter;

import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;

/**
 * For DJL's own {@link Trainer} ({@code EasyTrain.fit}): after every training and validation batch, fails with the
 * module's name when an adapter of the active adapter was never reached by the forward pass
 * ({@link AdaptedModel#requireAllReached()}), for example because a block forwards through a reference to the
 * original Linear that injection could not see. Add it with {@code DefaultTrainingConfig.addTrainingListeners}.
 */
public final class AdapterReachListener extends TrainingListenerAdapter {
    private final AdaptedModel adapted;

    /**
     * A listener checking {@code adapted}.
     *
     * @param adapted the adapted model being trained
     */
    public AdapterReachListener(AdaptedModel adapted) {
        this.adapted = adapted;
    }

    /**
     * Resets the marks before the first batch (forward passes made before training do not count).
     *
     * @param trainer the trainer
     */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        adapted.resetReached();
    }

    /**
     * Checks the batch just run.
     *
     * @param trainer the trainer
     * @param batchData the batch
     * @throws IllegalStateException naming the modules whose adapter was not reached
     */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        adapted.requireAllReached();
    }

    /**
     * Checks the validation batch just run.
     *
     * @param trainer the trainer
     * @param batchData the batch
     * @throws IllegalStateException naming the modules whose adapter was not reached
     */
    @Override
    public void onValidationBatch(Trainer trainer, BatchData batchData) {
        adapted.requireAllReached();
    }
}
