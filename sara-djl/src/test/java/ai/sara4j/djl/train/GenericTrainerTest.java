package ai.sara4j.djl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.dataset.Record;
import ai.djl.training.loss.Loss;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.nn.Modules;
import ai.sara4j.djl.train.data.BatchOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer on a user's own block and data (a small classifier, DJL's softmax cross-entropy through
 * {@link LossObjective}), in memory: the loss of the first update is the float64 mean over its examples, warm-up
 * longer than the run is cut, and a run whose every update is skipped fails without an adapter.
 */
class GenericTrainerTest {

    private static TrainingOptions.Builder options() {
        return TrainingOptions.builder().learningRate(0.05).batchSize(6).gradientAccumulation(2).warmupSteps(0)
                .maxSteps(8).seed(3);
    }

    @Test
    void trainsAnyBlockWithADjlLossAndAccumulatesOverTheWholeUpdate() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            TinyClassifier net = TinyClassifier.network(manager, 1);
            double[][] w1 = weights(net, "hidden", "weight");
            double[] b1 = weights(net, "hidden", "bias")[0];
            double[][] w2 = weights(net, "proj", "weight");
            double[] b2 = weights(net, "proj", "bias")[0];
            AdaptedModel adapted = TinyClassifier.adapt(net, 0.1);
            List<Record> records = TinyClassifier.records(manager, 24, 2);
            List<StepMetrics> steps = new ArrayList<>();
            Trainer.Result result = Trainer.builder(adapted).data(records, LossObjective.of(Loss.softmaxCrossEntropyLoss()))
                    .options(options().build()).onStep(steps::add).build().train();
            assertEquals(8, result.steps());
            assertEquals(0, result.skipped());
            assertEquals(8 * 12, result.tokens()); // examples, for a LossObjective

            // update 1 = micro-batches 0 and 1 of the seed's order; LoRA's B starts at 0, so the base network decides
            BatchOrder order = new BatchOrder(24, 6, 3);
            List<Integer> first = new ArrayList<>(order.batch(0));
            first.addAll(order.batch(1));
            double reference = 0;
            for (int i : first) {
                float[] x = records.get(i).getData().singletonOrThrow().toFloatArray();
                int label = (int) records.get(i).getLabels().singletonOrThrow().getLong();
                double[] h = new double[TinyClassifier.HIDDEN];
                for (int j = 0; j < h.length; j++) {
                    double s = b1[j];
                    for (int k = 0; k < x.length; k++) {
                        s += w1[j][k] * x[k];
                    }
                    h[j] = Math.tanh(s);
                }
                double[] logits = new double[TinyClassifier.CLASSES];
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < logits.length; c++) {
                    logits[c] = b2[c];
                    for (int j = 0; j < h.length; j++) {
                        logits[c] += w2[c][j] * h[j];
                    }
                    max = Math.max(max, logits[c]);
                }
                double sum = 0;
                for (double l : logits) {
                    sum += Math.exp(l - max);
                }
                reference += -(logits[label] - max - Math.log(sum));
            }
            reference /= first.size();
            assertEquals(reference, steps.get(0).loss(), 1e-5);
            double early = (steps.get(0).loss() + steps.get(1).loss()) / 2;
            double late = (steps.get(6).loss() + steps.get(7).loss()) / 2;
            assertTrue(late < early - 0.05, "loss " + early + " -> " + late);
        }
    }

    /** The learning rates of a 4-update run asked for 100 warm-up updates: the warm-up becomes 0, decay to the end. */
    @Test
    void warmupLongerThanTheRunStillReachesThePeak() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<Double> rates = new ArrayList<>();
            Trainer.builder(TinyClassifier.adapted(manager, 1))
                    .data(TinyClassifier.records(manager, 12, 2), LossObjective.of(Loss.softmaxCrossEntropyLoss()))
                    .options(options().learningRate(0.01).warmupSteps(100).maxSteps(4).build())
                    .onStep(m -> rates.add(m.learningRate())).build().train();
            assertEquals(List.of(0.01, 0.0075, 0.005, 0.0025), rates);
        }
    }

    @Test
    void aRunWhoseEveryUpdateWasSkippedFailsAndWritesNoAdapter(@TempDir Path tmp) {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<Record> poisoned = new ArrayList<>();
            for (Record r : TinyClassifier.records(manager, 12, 2)) {
                poisoned.add(new Record(new NDList(r.getData().singletonOrThrow().mul(Float.NaN)), r.getLabels()));
            }
            Path run = tmp.resolve("run");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Trainer
                    .builder(TinyClassifier.adapted(manager, 1))
                    .data(poisoned, LossObjective.of(Loss.softmaxCrossEntropyLoss()))
                    .options(options().maxSteps(3).build()).runFolder(run).build().train());
            assertTrue(e.getMessage().contains("all 3 updates were skipped"), e.getMessage());
            assertFalse(Files.exists(run.resolve(TrainingRun.ADAPTER)));
        }
    }

    @Test
    void setUpErrorsAreNamed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapted = TinyClassifier.adapted(manager, 1);
            IllegalArgumentException noData = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.builder(adapted).build());
            assertTrue(noData.getMessage().contains("no training data"), noData.getMessage());
            IllegalArgumentException keep = assertThrows(IllegalArgumentException.class, () -> Trainer.builder(adapted)
                    .data(List.of(), LossObjective.of(Loss.softmaxCrossEntropyLoss())).keepCheckpoints(0).build());
            assertTrue(keep.getMessage().contains("keepCheckpoints"), keep.getMessage());
        }
    }

    /** A parameter of a child of the base network as float64 rows (a vector as one row). */
    private static double[][] weights(Block net, String child, String name) {
        var array = Modules.child(net, child).getParameters().get(name).getArray();
        float[] v = array.toFloatArray();
        long[] shape = array.getShape().getShape();
        int rows = shape.length == 1 ? 1 : (int) shape[0];
        int cols = v.length / rows;
        double[][] out = new double[rows][cols];
        for (int i = 0; i < v.length; i++) {
            out[i / cols][i % cols] = v[i];
        }
        return out;
    }

    /** The option checkpoints the causal-LM objective's layers; a caller's own objective is refused, not ignored. */
    @Test
    void gradientCheckpointingIsRefusedForYourOwnObjective() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapted = TinyClassifier.adapt(TinyClassifier.network(manager, 1), 0.1);
            Trainer.Builder builder = Trainer.builder(adapted).data(TinyClassifier.records(manager, 24, 2),
                    LossObjective.of(Loss.softmaxCrossEntropyLoss()));
            builder.options(options().gradientCheckpointing(true).build());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
            assertTrue(e.getMessage().contains("CausalLmObjective.withGradientCheckpointing"), e.getMessage());
            builder.options(options().build()).build(); // accepted without it
        }
    }

    /** Label smoothing applies to the causal-LM loss; a caller's own objective is refused, not ignored. */
    @Test
    void labelSmoothingIsRefusedForYourOwnObjective() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AdaptedModel adapted = TinyClassifier.adapt(TinyClassifier.network(manager, 1), 0.1);
            Trainer.Builder builder = Trainer.builder(adapted).data(TinyClassifier.records(manager, 24, 2),
                    LossObjective.of(Loss.softmaxCrossEntropyLoss()));
            builder.options(options().labelSmoothing(0.1).build());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
            assertTrue(e.getMessage().contains("CausalLmObjective.withLabelSmoothing"), e.getMessage());
        }
    }
}
