package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.sara4j.djl.train.TrainingOptions.InvalidOptionException;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The options' builder: the paper's defaults, copies, and range checks that name the option. */
class TrainingOptionsTest {

    @Test
    void defaultsAreThePaperRecipe() {
        TrainingOptions o = TrainingOptions.builder().build();
        assertEquals(3e-3, o.learningRate());
        assertEquals(3, o.epochs());
        assertEquals(0, o.maxSteps());
        assertEquals(16, o.batchSize());
        assertEquals(1, o.gradientAccumulation());
        assertEquals(100, o.warmupSteps());
        assertEquals(0.0, o.weightDecay());
        assertEquals(1.0, o.maxGradNorm());
        assertEquals(42, o.seed());
        assertEquals(0, o.saveEvery());
        assertEquals(false, o.lossScaling());
        assertEquals(0.0, o.labelSmoothing());
        assertEquals(3 * 7, o.totalSteps(7)); // 3 epochs of 7 micro-batches
    }

    @Test
    void toBuilderCopiesEveryOptionAndEpochsReplacesMaxSteps() {
        TrainingOptions o = TrainingOptions.builder().learningRate(1e-4).maxSteps(9).batchSize(3)
                .gradientAccumulation(2).warmupSteps(4).weightDecay(0.01).maxGradNorm(0.5).seed(7).saveEvery(3)
                .lossScaling(true).labelSmoothing(0.1).build();
        assertEquals(o, o.toBuilder().build());
        assertEquals(o.toString(), o.toBuilder().build().toString());
        assertNotEquals(o, o.toBuilder().seed(8).build());
        assertEquals(0.1, o.toBuilder().build().labelSmoothing());
        assertEquals("0.1", o.settings().get("labelSmoothing")); // part of the run fingerprint
        assertNotEquals(o.settings(), o.toBuilder().labelSmoothing(0.2).build().settings());
        assertEquals(9, o.totalSteps(1000));
        TrainingOptions byEpochs = o.toBuilder().epochs(2).build();
        assertEquals(0, byEpochs.maxSteps());
        assertEquals(2 * 3, byEpochs.totalSteps(5)); // 5 micro-batches per epoch, 2 per update: 2 + 2 + 1
        assertEquals(3, byEpochs.updatesPerEpoch(5));
        assertEquals(2, byEpochs.updatesPerEpoch(4));
    }

    @Test
    void everyOutOfRangeValueIsRefusedNamingItsOption() {
        refused("learningRate", b -> b.learningRate(0));
        refused("learningRate", b -> b.learningRate(Double.NaN));
        refused("learningRate", b -> b.learningRate(Double.POSITIVE_INFINITY));
        refused("maxSteps", b -> b.maxSteps(0));
        refused("maxSteps", b -> b.maxSteps(-3));
        refused("epochs", b -> b.epochs(0));
        refused("batchSize", b -> b.batchSize(0));
        refused("gradientAccumulation", b -> b.gradientAccumulation(0));
        refused("warmupSteps", b -> b.warmupSteps(-1));
        refused("weightDecay", b -> b.weightDecay(-0.1));
        refused("weightDecay", b -> b.weightDecay(Double.NaN));
        refused("maxGradNorm", b -> b.maxGradNorm(-1));
        refused("maxGradNorm", b -> b.maxGradNorm(Double.POSITIVE_INFINITY));
        refused("saveEvery", b -> b.saveEvery(-1));
        refused("labelSmoothing", b -> b.labelSmoothing(1));
        refused("labelSmoothing", b -> b.labelSmoothing(-0.01));
        refused("labelSmoothing", b -> b.labelSmoothing(Double.NaN));
    }

    private static void refused(String option, UnaryOperator<TrainingOptions.Builder> change) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> change.apply(TrainingOptions.builder()).build());
        assertEquals(option, e.option());
        assertEquals(option + " " + e.problem(), e.getMessage());
    }

    /** A warm-up not shorter than the run becomes a tenth of it, so the run reaches its peak rate and decays. */
    @Test
    void warmupLongerThanTheRunIsCutToATenth() {
        TrainingOptions o = TrainingOptions.builder().warmupSteps(100).build();
        assertEquals(100, o.warmupFor(101));
        assertEquals(2, o.warmupFor(20));
        assertEquals(10, o.warmupFor(100));
        assertEquals(0, o.warmupFor(4));
    }
}
