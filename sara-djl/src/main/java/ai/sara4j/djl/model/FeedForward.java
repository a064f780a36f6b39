package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.nn.Modules;

/**
 * The MLP of a decoder layer: LLaMA's gated form {@code down(act(gate(x)) · up(x))}, or the plain
 * {@code out(act(in(x)))} of GPT-J ({@code fc_in}, {@code fc_out}) and GPT-2 ({@code c_fc}, {@code c_proj}).
 * Projections are looked up at forward time so adapters can replace them.
 */
public final class FeedForward extends AbstractBlock {
    private final Activation activation;
    private final String gateName;
    private final String inName;
    private final String outName;

    private FeedForward(Activation activation, String gateName, String inName, String outName) {
        this.activation = activation;
        this.gateName = gateName;
        this.inName = inName;
        this.outName = outName;
    }

    /** LLaMA: {@code gate_proj}, {@code up_proj} (hidden → inner) and {@code down_proj} (inner → hidden). */
    static FeedForward gated(Activation act, Linear gate, Linear up, Linear down) {
        FeedForward ff = new FeedForward(act, "gate_proj", "up_proj", "down_proj");
        ff.addChildBlock("gate_proj", gate);
        ff.addChildBlock("up_proj", up);
        ff.addChildBlock("down_proj", down);
        return ff;
    }

    /** GPT-J / GPT-2: {@code inName} (hidden → inner) then {@code outName} (inner → hidden). */
    static FeedForward plain(Activation act, String inName, Linear in, String outName, Linear out) {
        FeedForward ff = new FeedForward(act, null, inName, outName);
        ff.addChildBlock(inName, in);
        ff.addChildBlock(outName, out);
        return ff;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // (B, T, hidden)
        NDArray inner = project(ps, inName, x, training); // (B, T, inner)
        NDArray hidden = gateName == null
                ? activation.apply(inner)
                : activation.apply(project(ps, gateName, x, training)).mul(inner);
        return new NDList(project(ps, outName, hidden, training));
    }

    private NDArray project(ParameterStore ps, String name, NDArray x, boolean training) {
        return Modules.child(this, name).forward(ps, new NDList(x), training).singletonOrThrow();
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Block in = Modules.child(this, inName);
        in.initialize(manager, dataType, inputShapes);
        if (gateName != null) {
            Modules.child(this, gateName).initialize(manager, dataType, inputShapes);
        }
        Modules.child(this, outName).initialize(manager, dataType, in.getOutputShapes(inputShapes));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
