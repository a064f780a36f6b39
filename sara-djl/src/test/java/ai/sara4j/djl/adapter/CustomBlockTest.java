package ai.sara4j.djl.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Record;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.adapter.sara.SaraConfig;
import ai.sara4j.djl.nn.Modules;
import ai.sara4j.djl.train.LossObjective;
import ai.sara4j.djl.train.TrainingOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Any DJL model: blocks that keep their Linear children in fields, blocks whose fields cannot follow a replacement,
 * forward passes that never reach an adapter, uninitialised models, and training with DJL's own Trainer.
 */
class CustomBlockTest {
    private static final int IN = 6;
    private static final int HIDDEN = 5;
    private static final int OUT = 3;
    private static final TargetMatcher FC = TargetMatcher.names("fc1", "fc2");

    /** fc1 → tanh → fc2, forwarding through final fields declared as Block (PyTorch's usual module style). */
    static final class FieldNet extends AbstractBlock {
        private final Block fc1;
        private final Block fc2;

        FieldNet() {
            fc1 = addChildBlock("fc1", Linear.builder().setUnits(HIDDEN).build());
            fc2 = addChildBlock("fc2", Linear.builder().setUnits(OUT).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray h = fc1.forward(ps, inputs, training, params).singletonOrThrow().tanh();
            return fc2.forward(ps, new NDList(h), training, params);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            fc1.initialize(manager, dataType, inputShapes);
            fc2.initialize(manager, dataType, fc1.getOutputShapes(inputShapes));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return fc2.getOutputShapes(fc1.getOutputShapes(inputShapes));
        }
    }

    /** The same with the field declared Linear: an adapter block cannot go there. */
    static final class TypedNet extends AbstractBlock {
        private final Linear fc1;

        TypedNet() {
            fc1 = addChildBlock("fc1", Linear.builder().setUnits(OUT).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            return fc1.forward(ps, inputs, training, params);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            fc1.initialize(manager, dataType, inputShapes);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return fc1.getOutputShapes(inputShapes);
        }
    }

    /** A block that forwards through a reference to another module's Linear (its sibling's). */
    static final class Probe extends AbstractBlock {
        private final Block watched;

        Probe(Block watched) {
            this.watched = watched;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            return watched.forward(ps, inputs, training, params);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return watched.getOutputShapes(inputShapes);
        }
    }

    /** fc1 reached through a list (which injection does not rewrite), fc2 looked up at forward time. */
    static final class ListNet extends AbstractBlock {
        private final List<Block> hidden = new ArrayList<>();

        ListNet() {
            hidden.add(addChildBlock("fc1", Linear.builder().setUnits(HIDDEN).build()));
            addChildBlock("fc2", Linear.builder().setUnits(OUT).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray h = hidden.get(0).forward(ps, inputs, training, params).singletonOrThrow().tanh();
            return Modules.child(this, "fc2").forward(ps, new NDList(h), training, params);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Block fc1 = Modules.child(this, "fc1");
            fc1.initialize(manager, dataType, inputShapes);
            Modules.child(this, "fc2").initialize(manager, dataType, fc1.getOutputShapes(inputShapes));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return Modules.child(this, "fc2").getOutputShapes(Modules.child(this, "fc1").getOutputShapes(inputShapes));
        }
    }

    private static <B extends Block> B initialised(B block, NDManager manager) {
        block.initialize(manager, DataType.FLOAT32, new Shape(4, IN));
        return block;
    }

    private static NDArray input(NDManager manager, int rows, long seed) {
        Random random = new Random(seed);
        float[] v = new float[rows * IN];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return manager.create(v, new Shape(rows, IN));
    }

    /** Fields declared Block are pointed at the adapter blocks, so the adapters run; unload points them back. */
    @Test
    void fieldHeldChildrenAreAdapted() {
        try (NDManager manager = NDManager.newBaseManager()) {
            FieldNet net = initialised(new FieldNet(), manager);
            Block fc1 = Modules.get(net, "fc1");
            NDArray x = input(manager, 4, 1);
            float[] base = TestNets.forward(net, x, false).toFloatArray();
            AdaptedModel adapted = Adapters.inject(net, SaraConfig.of(FC).withThreshold(0.3));
            assertSame(Modules.get(net, "fc1"), net.fc1, "the field follows the children list");
            assertTrue(net.fc1 instanceof AdaptedLinear && net.fc2 instanceof AdaptedLinear);
            adapted.resetReached();
            float[] adapter = TestNets.forward(net, x, false).toFloatArray();
            adapted.requireAllReached();
            assertFalse(Arrays.equals(base, adapter), "SARA's random init changes the output");
            adapted.unload();
            assertSame(fc1, net.fc1);
            assertArrayEquals(base, TestNets.forward(net, x, false).toFloatArray(), 0f);
        }
    }

    /** A field that cannot take the adapter block, or another block's field on the target, fails before any change. */
    @Test
    void fieldsThatCannotFollowAreRefusedAtInject() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TypedNet typed = initialised(new TypedNet(), manager);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Adapters.inject(typed, LoraConfig.of(TargetMatcher.names("fc1"), 2, 2)));
            assertTrue(e.getMessage().contains("TypedNet.fc1") && e.getMessage().contains("declared Linear")
                    && e.getMessage().contains("ai.djl.nn.Block"), e.getMessage());
            assertTrue(Modules.get(typed, "fc1") instanceof Linear, "nothing changed");
            assertTrue(typed.getParameters().values().stream().allMatch(Parameter::requiresGradient));

            FieldNet net = initialised(new FieldNet(), manager);
            class Root extends AbstractBlock {
                Root() {
                    addChildBlock("net", net);
                    addChildBlock("probe", new Probe(Modules.get(net, "fc2")));
                }

                @Override
                protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                        PairList<String, Object> params) {
                    return Modules.child(this, "net").forward(ps, inputs, training, params);
                }

                @Override
                public Shape[] getOutputShapes(Shape[] inputShapes) {
                    return net.getOutputShapes(inputShapes);
                }
            }
            Root root = new Root();
            IllegalArgumentException shared = assertThrows(IllegalArgumentException.class,
                    () -> Adapters.inject(root, LoraConfig.of(FC, 2, 2)));
            assertTrue(shared.getMessage().contains("net.fc2") && shared.getMessage().contains("Probe.watched")
                    && shared.getMessage().contains("module 'probe'"), shared.getMessage());
            assertTrue(Modules.get(root, "net.fc1") instanceof Linear, "fc1 was not replaced either");
            assertTrue(net.fc1 instanceof Linear);
        }
    }

    /** An adapter the forward pass never calls is an error naming its module. */
    @Test
    void anUnreachedAdapterIsAnErrorNamingTheModule() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ListNet net = initialised(new ListNet(), manager);
            AdaptedModel adapted = Adapters.inject(net, LoraConfig.of(FC, 2, 2));
            TestNets.forward(net, input(manager, 4, 1), false);
            IllegalStateException e = assertThrows(IllegalStateException.class, adapted::requireAllReached);
            assertTrue(e.getMessage().contains("'fc1'") && !e.getMessage().contains("fc2"), e.getMessage());
            // the marks were reset: with no forward pass at all, both are unreached
            IllegalStateException none = assertThrows(IllegalStateException.class, adapted::requireAllReached);
            assertTrue(none.getMessage().contains("fc1") && none.getMessage().contains("fc2"), none.getMessage());
        }
    }

    /** SARA4J's Trainer checks its first update: an adapter the forward pass skipped stops the run, named. */
    @Test
    void theTrainerRefusesAnUnreachedAdapter() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ListNet net = initialised(new ListNet(), manager);
            AdaptedModel adapted = Adapters.inject(net, LoraConfig.of(FC, 2, 2));
            List<Record> records = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                records.add(new Record(new NDList(input(manager, 1, i).reshape(IN)),
                        new NDList(manager.create((long) (i % OUT)))));
            }
            ai.sara4j.djl.train.Trainer trainer = ai.sara4j.djl.train.Trainer.builder(adapted)
                    .data(records, LossObjective.of(Loss.softmaxCrossEntropyLoss()))
                    .options(TrainingOptions.builder().maxSteps(1).batchSize(4).warmupSteps(0).build()).build();
            IllegalStateException e = assertThrows(IllegalStateException.class, trainer::train);
            assertTrue(e.getMessage().contains("'fc1'") && !e.getMessage().contains("fc2"), e.getMessage());
        }
    }

    @Test
    void anUninitialisedModelIsAClearError() {
        FieldNet net = new FieldNet();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Adapters.inject(net, LoraConfig.of(FC, 2, 2)));
        assertTrue(e.getMessage().contains("'fc1'") && e.getMessage().contains("model.initialize(manager, dataType, "
                + "inputShapes)"), e.getMessage());
    }

    /**
     * DJL's own Trainer (EasyTrain.fit) on a field-held block: DJL's trainer updates the parameters that require
     * gradients, so the frozen base stays bit-identical while the adapter moves; the reach listener passes.
     */
    @Test
    void djlEasyTrainTrainsOnlyTheAdapter() throws Exception {
        try (Model model = Model.newInstance("field-net")) {
            NDManager manager = model.getNDManager();
            FieldNet net = initialised(new FieldNet(), manager);
            model.setBlock(net);
            AdaptedModel adapted = Adapters.inject(net, LoraConfig.of(FC, 2, 4));
            Map<Parameter, float[]> before = new HashMap<>();
            net.getParameters().values().forEach(p -> before.put(p, p.getArray().toFloatArray()));
            List<Parameter> trainable = adapted.trainableParameters();
            assertEquals(4, trainable.size());

            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build())
                    .addTrainingListeners(new AdapterReachListener(adapted));
            NDArray x = input(manager, 8, 2);
            NDArray y = input(manager, 8, 3).get(":, :" + OUT);
            ArrayDataset data = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(4, false).build();
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(4, IN));
                EasyTrain.fit(trainer, 2, data, null);
            }
            before.forEach((p, values) -> {
                boolean moved = !Arrays.equals(values, p.getArray().toFloatArray());
                if (trainable.contains(p)) {
                    // lora_A gets no gradient while lora_B is 0 at the first step, but moves after
                    assertTrue(moved, p.getName() + " trained");
                } else {
                    assertFalse(moved, p.getName() + " frozen");
                }
            });
        }
    }

    /** With DJL's Trainer, the reach listener fails the batch that skipped an adapter, naming the module. */
    @Test
    void theReachListenerFailsTheDjlTrainingBatch() throws Exception {
        try (Model model = Model.newInstance("list-net")) {
            NDManager manager = model.getNDManager();
            ListNet net = initialised(new ListNet(), manager);
            model.setBlock(net);
            AdaptedModel adapted = Adapters.inject(net, LoraConfig.of(FC, 2, 4));
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build())
                    .addTrainingListeners(new AdapterReachListener(adapted));
            NDArray x = input(manager, 4, 2);
            NDArray y = input(manager, 4, 3).get(":, :" + OUT);
            ArrayDataset data = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(4, false).build();
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(4, IN));
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> EasyTrain.fit(trainer, 1, data, null));
                assertTrue(e.getMessage().contains("'fc1'"), e.getMessage());
            }
        }
    }
}
