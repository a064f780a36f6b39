package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.djl.nn.Modules;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The module tree follows Hugging Face paths, and replacing a projection changes what the model computes. */
class ModuleTreeTest {
    private static final long[] IDS = {5, 17, 42, 9, 77, 3};

    @Test
    void projectionsAreLinearBlocksAtHuggingFacePaths() throws Exception {
        Map<String, List<String>> expected = Map.of(
                "llama-gqa", List.of("model.layers.1.self_attn.q_proj", "model.layers.0.self_attn.k_proj",
                        "model.layers.0.self_attn.v_proj", "model.layers.0.self_attn.o_proj",
                        "model.layers.1.mlp.gate_proj", "model.layers.1.mlp.up_proj", "model.layers.0.mlp.down_proj",
                        "lm_head"),
                "gptj", List.of("transformer.h.0.attn.q_proj", "transformer.h.1.attn.out_proj",
                        "transformer.h.0.mlp.fc_in", "transformer.h.1.mlp.fc_out", "lm_head"),
                "gpt2", List.of("transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_proj",
                        "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj", "lm_head"));
        try (NDManager manager = NDManager.newBaseManager()) {
            for (Map.Entry<String, List<String>> e : expected.entrySet()) {
                CausalLM model = ModelLoader.load(Fixtures.model(e.getKey()), manager);
                Map<String, Block> named = Modules.named(model);
                for (String path : e.getValue()) {
                    assertInstanceOf(Linear.class, named.get(path), e.getKey() + ": " + path);
                }
                // every parameter came from the checkpoint under its own name (or its tied / transposed source)
                assertEquals(model.namedParameters().keySet(), model.checkpointNames().keySet());
            }
        }
    }

    @Test
    void gpt2ConvWeightsAreTransposedToOutIn() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                Checkpoint checkpoint = Checkpoint.open(Fixtures.model("gpt2"))) {
            CausalLM model = ModelLoader.load(Fixtures.model("gpt2"), manager);
            assertEquals(8, model.transposedModules().size()); // c_attn, c_proj, c_fc, mlp.c_proj × 2 layers
            assertTrue(model.transposedModules().contains("transformer.h.1.mlp.c_fc"));
            assertFalse(model.transposedModules().contains("lm_head"));
            assertEquals("transformer.wte.weight", model.checkpointNames().get("lm_head.weight"));
            Parameter w = model.namedParameters().get("transformer.h.0.attn.c_attn.weight");
            assertEquals(new Shape(96, 32), w.getArray().getShape());
            float[] stored = checkpoint.readFloats("transformer.h.0.attn.c_attn.weight"); // (in 32, out 96)
            float[] loaded = w.getArray().toFloatArray(); // (out 96, in 32)
            for (int out = 0; out < 96; out += 7) {
                for (int in = 0; in < 32; in += 5) {
                    assertEquals(stored[in * 96 + out], loaded[out * 32 + in]);
                }
            }
        }
    }

    @Test
    void loadedWeightsOwnTheirMemoryAndCanBeWrittenInPlace() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = ModelLoader.load(Fixtures.model("llama-gqa"), manager);
            NDArray w = model.namedParameters().get("model.layers.0.mlp.up_proj.weight").getArray();
            float before = w.toFloatArray()[0];
            w.addi(1f); // on a memory-mapped, read-only checkpoint page this would crash the JVM
            assertEquals(before + 1f, w.toFloatArray()[0], 1e-6f);
        }
    }

    @Test
    void replacedProjectionTakesEffectAndRestoringItRestoresLogits() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (String name : Fixtures.TINY) {
                CausalLM model = ModelLoader.load(Fixtures.model(name), manager);
                ParameterStore ps = new ParameterStore(manager, false);
                NDArray ids = manager.create(IDS, new Shape(1, IDS.length));
                float[] before = model.forward(ps, ids, null, null, false).toFloatArray();
                String path = switch (name) {
                    case "gpt2" -> "transformer.h.0.attn.c_attn";
                    case "gptj" -> "transformer.h.1.attn.q_proj";
                    case "phi3" -> "model.layers.1.self_attn.qkv_proj";
                    case "gpt_neox", "gpt_neox-sequential" -> "gpt_neox.layers.1.attention.query_key_value";
                    default -> "model.layers.1.mlp.gate_proj"; // not before a (scale-free) norm in any family
                };
                Block original = Modules.get(model, path);
                Scaled scaled = new Scaled(original, manager);
                Modules.replace(model, path, scaled);
                float[] during = model.forward(ps, ids, null, null, false).toFloatArray();
                Modules.replace(model, path, original);
                float[] after = model.forward(ps, ids, null, null, false).toFloatArray();
                assertTrue(maxDiff(before, during) > 1e-2, name + ": replacing " + path + " changed nothing");
                assertArrayEquals(before, after, name);
            }
        }
    }

    @Test
    void gradientsReachAReplacedChildOfAFrozenModel() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            CausalLM model = ModelLoader.load(Fixtures.model("llama-gqa"), manager);
            model.freezeParameters(true);
            String path = "model.layers.0.mlp.down_proj";
            Scaled scaled = new Scaled(Modules.get(model, path), manager);
            Modules.replace(model, path, scaled);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray ids = manager.create(IDS, new Shape(1, IDS.length));
            float analytic;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = lossOf(model, ps, ids, true);
                collector.backward(loss);
                analytic = scaled.scale.getArray().getGradient().toFloatArray()[3];
            }
            Parameter frozen = model.namedParameters().get("model.layers.0.self_attn.q_proj.weight");
            assertFalse(frozen.requiresGradient());
            assertFalse(frozen.getArray().hasGradient(), "frozen base weight got a gradient");
            // central difference on one coordinate of the trainable scale
            float eps = 1e-2f;
            NDArray s = scaled.scale.getArray();
            float[] base = s.toFloatArray();
            float[] plus = base.clone();
            plus[3] += eps;
            float[] minus = base.clone();
            minus[3] -= eps;
            s.set(plus);
            float fPlus = lossOf(model, ps, ids, false).getFloat();
            s.set(minus);
            float fMinus = lossOf(model, ps, ids, false).getFloat();
            float numeric = (fPlus - fMinus) / (2 * eps);
            assertTrue(Math.abs(numeric) > 1e-3, "loss insensitive to the scale: " + numeric);
            assertEquals(numeric, analytic, 2e-2 * Math.abs(numeric));
        }
    }

    /** A smooth scalar of the logits: mean of squares. */
    private static NDArray lossOf(CausalLM model, ParameterStore ps, NDArray ids, boolean training) {
        return model.forward(ps, ids, null, null, training).square().mean();
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** y = base(x) ⊙ scale with a trainable scale (out), initialised to 1.5 so the output changes. */
    private static final class Scaled extends AbstractBlock {
        final Parameter scale;

        Scaled(Block base, NDManager manager) {
            addChildBlock("base", base);
            long out = base.getParameters().get("weight").getArray().getShape().get(0);
            scale = addParameter(Parameter.builder().setName("scale").setType(Parameter.Type.WEIGHT).build());
            scale.setArray(manager.full(new Shape(out), 1.5f));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
                PairList<String, Object> params) {
            NDArray y = Modules.child(this, "base").forward(ps, inputs, training).singletonOrThrow();
            return new NDList(y.mul(ps.getValue(scale, y.getDevice(), training)));
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Modules.child(this, "base").initialize(manager, dataType, inputShapes);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return Modules.child(this, "base").getOutputShapes(inputShapes);
        }
    }
}
