package ai.sara4j.examples.library;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Record;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.AdapterReachListener;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.engine.EngineSettings;
import ai.sara4j.djl.train.LossObjective;
import ai.sara4j.djl.train.StepMetrics;
import ai.sara4j.djl.train.Trainer;
import ai.sara4j.djl.train.TrainingOptions;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The library walk-through, part 4 ({@code docs/library.md}): adapters on any DJL block, here a small classifier
 * written PyTorch-style, trained with SARA4J's {@link Trainer} and a DJL loss, or with DJL's own {@link EasyTrain}.
 *
 * <pre>
 * java -cp sara-examples/target/sara-examples.jar ai.sara4j.examples.library.AnyDjlModel
 * </pre>
 */
public final class AnyDjlModel {
    /** Input features of the toy data. */
    public static final int FEATURES = 4;
    /** Classes of the toy data. */
    public static final int CLASSES = 3;

    private AnyDjlModel() {}

    // [walkthrough:any-block]
    /** fc1 → tanh → fc2, PyTorch style: children in fields declared {@code Block}, which injection re-points. */
    public static final class Mlp extends AbstractBlock {
        private final Block fc1 = addChildBlock("fc1", Linear.builder().setUnits(32).build());
        private final Block fc2 = addChildBlock("fc2", Linear.builder().setUnits(CLASSES).build());

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList x, boolean training, PairList<String, Object> p) {
            NDList hidden = new NDList(fc1.forward(ps, x, training, p).singletonOrThrow().tanh());
            return fc2.forward(ps, hidden, training, p);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType type, Shape... in) {
            fc1.initialize(manager, type, in);
            fc2.initialize(manager, type, fc1.getOutputShapes(in));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] in) {
            return fc2.getOutputShapes(fc1.getOutputShapes(in));
        }
    }
    // [end]

    /**
     * Trains LoRA adapters on a fresh {@link Mlp} with each trainer and prints what they did.
     *
     * @param args none
     * @throws Exception when training fails
     */
    public static void main(String[] args) throws Exception {
        // [walkthrough:any-main]
        EngineSettings.applyDefaults();
        try (Model model = Model.newInstance("mlp")) {
            NDManager manager = model.getNDManager();
            ArrayDataset data = toyData(manager, 256, 7);             // (features, class) batches of 16
            Mlp mlp = new Mlp();                                       // stands for a model trained before
            mlp.initialize(manager, DataType.FLOAT32, new Shape(1, FEATURES));   // weights before injection
            trainWithSara4j(mlp, records(manager, data), m -> System.out.println(m.step() + " loss " + m.loss()));

            Mlp other = new Mlp();
            other.initialize(manager, DataType.FLOAT32, new Shape(1, FEATURES));
            model.setBlock(other);                                     // DJL's trainer trains the model's block
            System.out.println(trainWithEasyTrain(model, other, data).trainableSummary());
        }
        // [end]
    }

    /**
     * LoRA on fc1 and fc2, trained with SARA4J's trainer and DJL's softmax cross-entropy.
     *
     * @param mlp an initialised model
     * @param examples (features, class) records
     * @param onStep called after every update with its metrics
     * @return the adapted model, trained
     * @throws IOException never without a run folder (the trainer's signature)
     */
    public static AdaptedModel trainWithSara4j(Mlp mlp, List<Record> examples, Consumer<StepMetrics> onStep)
            throws IOException {
        // [walkthrough:any-trainer]
        AdaptedModel adapted = Adapters.inject(mlp, LoraConfig.builder(TargetMatcher.names("fc1", "fc2")).r(4).build());
        Trainer.builder(adapted)
                .data(examples, LossObjective.of(Loss.softmaxCrossEntropyLoss()))   // examples: DJL Records
                .options(TrainingOptions.builder().learningRate(1e-2).epochs(5).batchSize(16).warmupSteps(0).build())
                .onStep(onStep)
                .build()
                .train();
        // [end]
        return adapted;
    }

    /**
     * LoRA on fc1 and fc2, trained with DJL's own {@link EasyTrain}.
     *
     * @param model the DJL model whose block is {@code mlp}
     * @param mlp an initialised model
     * @param data (features, class) batches
     * @return the adapted model, trained
     * @throws IOException when DJL's training fails to read the data
     * @throws TranslateException when DJL's training fails to batch the data
     */
    public static AdaptedModel trainWithEasyTrain(Model model, Mlp mlp, ArrayDataset data)
            throws IOException, TranslateException {
        // [walkthrough:any-easytrain]
        AdaptedModel adapted = Adapters.inject(mlp, LoraConfig.builder(TargetMatcher.names("fc1", "fc2")).r(4).build());
        DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-2f)).build())
                .addTrainingListeners(new AdapterReachListener(adapted));   // fails a batch that skipped an adapter
        try (var trainer = model.newTrainer(config)) {
            EasyTrain.fit(trainer, 5, data, null);       // DJL updates only what requires gradients: the adapter
        }
        // [end]
        return adapted;
    }

    /**
     * Toy data: standard-normal features, the class from a fixed rule on them.
     *
     * @param manager owns the arrays
     * @param n examples
     * @param seed the random seed
     * @return the data set, shuffled batches of 16
     */
    public static ArrayDataset toyData(NDManager manager, int n, long seed) {
        Random random = new Random(seed);
        float[] x = new float[n * FEATURES];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] = (float) random.nextGaussian();
            }
            y[i] = x[i * FEATURES] > 0 ? 0 : x[i * FEATURES + 1] > 0 ? 1 : 2;
        }
        return new ArrayDataset.Builder().setData(manager.create(x, new Shape(n, FEATURES)))
                .optLabels(manager.create(y)).setSampling(16, true).build();
    }

    /**
     * The data set's examples as records, for SARA4J's trainer.
     *
     * @param manager owns the records' arrays
     * @param data the data set
     * @return one record per example
     */
    public static List<Record> records(NDManager manager, ArrayDataset data) {
        return IntStream.range(0, Math.toIntExact(data.size())).mapToObj(i -> data.get(manager, i)).toList();
    }
}
