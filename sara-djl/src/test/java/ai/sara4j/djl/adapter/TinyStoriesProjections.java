package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.nn.Modules;
import java.io.IOException;
import java.util.Map;

/**
 * The attention projections of tinystories-656k ({@code model.layers.{0,1}.self_attn.{q,v}_proj}, real weights)
 * in a plain DJL tree with the Hugging Face paths, so adapter import/export is checked against PEFT without the
 * full LLaMA model.
 */
final class TinyStoriesProjections {
    private TinyStoriesProjections() {}

    static TestNets.Chain load(NDManager manager) throws IOException {
        TestNets.Chain layers = new TestNets.Chain();
        for (int i = 0; i < 2; i++) {
            layers.add(Integer.toString(i), new TestNets.Chain().add("self_attn", new TestNets.Chain()
                    .add("q_proj", Linear.builder().setUnits(128).optBias(false).build())
                    .add("v_proj", Linear.builder().setUnits(64).optBias(false).build())));
        }
        TestNets.Chain root = new TestNets.Chain().add("model", new TestNets.Chain().add("layers", layers));
        for (Map.Entry<String, ai.djl.nn.Block> e : Modules.named(root).entrySet()) {
            if (e.getValue() instanceof Linear linear) {
                linear.initialize(manager, DataType.FLOAT32, new Shape(1, 128));
            }
        }
        try (Checkpoint checkpoint = Checkpoint.open(SharedData.tinyStories())) {
            for (Map.Entry<String, ai.djl.nn.Block> e : Modules.named(root).entrySet()) {
                if (e.getValue() instanceof Linear linear) {
                    Parameter weight = linear.getParameters().get("weight");
                    weight.getArray().set(java.nio.FloatBuffer.wrap(checkpoint.readFloats(e.getKey() + ".weight")));
                }
            }
        }
        return root;
    }
}
