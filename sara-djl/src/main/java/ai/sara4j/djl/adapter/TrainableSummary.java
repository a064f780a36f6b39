package ai.sara4j.djl.adapter;

import java.util.Locale;

/**
 * PEFT's {@code print_trainable_parameters}: how many scalars train, of how many in the whole model.
 *
 * @param trainable scalars that get gradients (the active adapter's trainable tensors)
 * @param total every scalar of the model: the base's parameters and every adapter's tensors, a shared parameter
 *     counted once
 */
public record TrainableSummary(long trainable, long total) {
    /**
     * The trainable share in percent.
     *
     * @return 100·trainable/total (0 for an empty model)
     */
    public double percentage() {
        return total == 0 ? 0 : 100.0 * trainable / total;
    }

    /**
     * PEFT's wording, e.g. {@code trainable params: 352 || all params: 967 || trainable%: 36.4012}.
     *
     * @return the line PEFT's {@code print_trainable_parameters} prints
     */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f", trainable,
                total, percentage());
    }
}
