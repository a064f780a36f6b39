package ai.sara4j.djl.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Record;
import ai.djl.util.PairList;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdaptedModel;
import ai.sara4j.djl.adapter.Adapters;
import ai.sara4j.djl.adapter.lora.LoraConfig;
import ai.sara4j.djl.nn.Modules;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A user's own network for the generic training path: {@code proj(tanh(hidden(x)))}, IN → HIDDEN → CLASSES, with
 * weights from a seed, a LoRA on {@code proj}, and random (features, class) records.
 */
final class TinyClassifier extends AbstractBlock {
    static final int IN = 6;
    static final int HIDDEN = 8;
    static final int CLASSES = 3;

    private TinyClassifier() {
        addChildBlock("hidden", Linear.builder().setUnits(HIDDEN).build());
        addChildBlock("proj", Linear.builder().setUnits(CLASSES).build());
    }

    /** A fresh network with weights N(0, 0.5²) from {@code seed} and a LoRA (r 2, dropout 0.1) on {@code proj}. */
    static AdaptedModel adapted(NDManager manager, long seed) {
        return adapt(network(manager, seed), 0.1);
    }

    /** A LoRA (r 2, alpha 4) on {@code proj} of {@code net}. */
    static AdaptedModel adapt(TinyClassifier net, double dropout) {
        return Adapters.inject(net, LoraConfig.of(TargetMatcher.names("proj"), 2, 4).withDropout(dropout));
    }

    /** A fresh network with weights N(0, 0.5²) from {@code seed}. */
    static TinyClassifier network(NDManager manager, long seed) {
        TinyClassifier net = new TinyClassifier();
        net.initialize(manager, DataType.FLOAT32, new Shape(1, IN));
        Random random = new Random(seed);
        net.getParameters().values().forEach(p -> {
            float[] v = new float[(int) p.getArray().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * 0.5);
            }
            p.getArray().set(v);
        });
        return net;
    }

    /** {@code n} records: features N(0, 1), class = the index of the largest of the first three features. */
    static List<Record> records(NDManager manager, int n, long seed) {
        Random random = new Random(seed);
        List<Record> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] x = new float[IN];
            for (int j = 0; j < IN; j++) {
                x[j] = (float) random.nextGaussian();
            }
            long label = x[0] > x[1] ? (x[0] > x[2] ? 0 : 2) : (x[1] > x[2] ? 1 : 2);
            out.add(new Record(new NDList(manager.create(x)), new NDList(manager.create(label))));
        }
        return out;
    }

    @Override
    protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDList h = Modules.child(this, "hidden").forward(store, inputs, training, params);
        return Modules.child(this, "proj").forward(store, new NDList(h.singletonOrThrow().tanh()), training, params);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Modules.child(this, "hidden").initialize(manager, dataType, inputShapes);
        Modules.child(this, "proj").initialize(manager, dataType, new Shape(inputShapes[0].get(0), HIDDEN));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), CLASSES)};
    }
}
