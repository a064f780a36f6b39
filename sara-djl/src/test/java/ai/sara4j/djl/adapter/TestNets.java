package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.nn.Modules;
import ai.sara4j.djl.train.AdamW;
import ai.sara4j.djl.train.GradientClipping;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small DJL block trees with HF-style paths for adapter tests. */
final class TestNets {
    static final int IN = 12;
    static final int HIDDEN = 10;
    static final int OUT = 7;

    private TestNets() {}

    /** Named children applied in order, tanh between them, looked up at forward time. */
    static final class Chain extends AbstractBlock {
        private final List<String> names = new ArrayList<>();

        Chain add(String name, Block block) {
            addChildBlock(name, block);
            names.add(name);
            return this;
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDList x = inputs;
            for (int i = 0; i < names.size(); i++) {
                x = Modules.child(this, names.get(i)).forward(store, x, training, params);
                if (i < names.size() - 1) {
                    x = new NDList(x.singletonOrThrow().tanh());
                }
            }
            return x;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] s = inputShapes;
            for (String n : names) {
                Block child = Modules.child(this, n);
                child.initialize(manager, dataType, s);
                s = child.getOutputShapes(s);
            }
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape[] s = inputShapes;
            for (String n : names) {
                s = Modules.child(this, n).getOutputShapes(s);
            }
            return s;
        }
    }

    /**
     * {@code model.layers.{0,1}.self_attn.{q_proj (IN→HIDDEN), v_proj (HIDDEN→IN)}}, then {@code lm_head}
     * (IN→OUT), with weights drawn from {@code seed}.
     */
    static Chain build(NDManager manager, DataType type, long seed) {
        Chain layers = new Chain();
        for (int i = 0; i < 2; i++) {
            layers.add(Integer.toString(i), new Chain().add("self_attn", new Chain()
                    .add("q_proj", linear(HIDDEN))
                    .add("v_proj", linear(IN))));
        }
        Chain root = new Chain().add("model", new Chain().add("layers", layers)).add("lm_head", linear(OUT));
        root.initialize(manager, type, new Shape(3, IN));
        Random random = new Random(seed);
        root.getParameters().values().forEach(p -> {
            NDArray a = p.getArray();
            double[] v = new double[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = random.nextGaussian() * 0.4;
            }
            try (NDArray values = manager.create(v, a.getShape()).toType(type, false)) {
                values.copyTo(a);
            }
        });
        return root;
    }

    private static Linear linear(int units) {
        return Linear.builder().setUnits(units).build();
    }

    static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** A random (batch, tokens, IN) input. */
    static NDArray input(NDManager manager, DataType type, long seed) {
        Random random = new Random(seed);
        double[] v = new double[2 * 3 * IN];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian();
        }
        return manager.create(v, new Shape(2, 3, IN)).toType(type, false);
    }

    /** Fills every adapter tensor with random values (so zero-initialised B, U, v do not hide gradients). */
    static void randomise(AdaptedModel adapter, long seed) {
        Random random = new Random(seed);
        for (AdapterLayer layer : adapter.layers().values()) {
            layer.tensors().values().forEach(p -> {
                NDArray a = p.getArray();
                double[] v = new double[(int) a.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = random.nextGaussian() * 0.5;
                }
                if (a.getDataType() == DataType.FLOAT64) {
                    a.set(java.nio.DoubleBuffer.wrap(v));
                } else {
                    a.set(java.nio.FloatBuffer.wrap(toFloats(v)));
                }
            });
        }
    }

    /** SARA4J's AdamW (torch defaults, weight decay 0.01) over the adapter's trainable parameters. */
    static AdamW adamW(AdaptedModel adapter) {
        Map<String, Parameter> named = new LinkedHashMap<>();
        adapter.trainableParameters().forEach(p -> named.put(p.getId(), p));
        return AdamW.withDefaults(named, 0.01);
    }

    /** One optimizer update, then zeroes the gradients (DJL accumulates them across backward calls). */
    static void step(AdamW optimizer, double learningRate) {
        optimizer.step(learningRate);
        GradientClipping.zero(optimizer.parameters().values());
    }

    static NDArray forward(Block model, NDArray x, boolean training) {
        return model.forward(new ParameterStore(x.getManager(), false), new NDList(x), training).singletonOrThrow();
    }
}
