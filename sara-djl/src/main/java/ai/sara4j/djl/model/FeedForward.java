package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.sara4j.djl.nn.Modules;

/**
 * The MLP of a decoder layer: LLaMA's gated form {@code down(act(gate(x)) · up(x))} (Phi-3 computes gate and up by
 * one module {@code gate_up_proj}, the gate's half first), or the plain {@code out(act(in(x)))} of GPT-J
 * ({@code fc_in}, {@code fc_out}), GPT-2 ({@code c_fc}, {@code c_proj}) and GPT-NeoX ({@code dense_h_to_4h},
 * {@code dense_4h_to_h}). Projections are looked up at forward time so adapters can replace them.
 */
public final class FeedForward extends AbstractBlock {
    private final Activation activation;
    private final String gateName;
    private final String inName;
    private final String outName;
    private final boolean fusedGate;

    private FeedForward(Activation activation, String gateName, String inName, String outName, boolean fusedGate) {
        this.activation = activation;
        this.gateName = gateName;
        this.inName = inName;
        this.outName = outName;
        this.fusedGate = fusedGate;
    }

    /** LLaMA: {@code gate_proj}, {@code up_proj} (hidden → inner) and {@code down_proj} (inner → hidden). */
    static FeedForward gated(Activation act, Block gate, Block up, Block down) {
        FeedForward ff = new FeedForward(act, "gate_proj", "up_proj", "down_proj", false);
        ff.addChildBlock("gate_proj", gate);
        ff.addChildBlock("up_proj", up);
        ff.addChildBlock("down_proj", down);
        return ff;
    }

    /** Phi-3: {@code gate_up_proj} (hidden → 2·inner: gate, then up) and {@code down_proj} (inner → hidden). */
    static FeedForward gatedFused(Activation act, Block gateUp, Block down) {
        FeedForward ff = new FeedForward(act, null, "gate_up_proj", "down_proj", true);
        ff.addChildBlock("gate_up_proj", gateUp);
        ff.addChildBlock("down_proj", down);
        return ff;
    }

    /** GPT-J / GPT-2: {@code inName} (hidden → inner) then {@code outName} (inner → hidden). */
    static FeedForward plain(Activation act, String inName, Block in, String outName, Block out) {
        FeedForward ff = new FeedForward(act, null, inName, outName, false);
        ff.addChildBlock(inName, in);
        ff.addChildBlock(outName, out);
        return ff;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow(); // (B, T, hidden)
        NDArray inner = project(ps, inName, x, training); // (B, T, inner), Phi-3 (B, T, 2·inner)
        NDArray hidden;
        if (fusedGate) {
            NDList gateUp = inner.split(2, inner.getShape().dimension() - 1);
            hidden = gateUp.get(1).mul(activation.apply(gateUp.get(0)));
        } else if (gateName == null) {
            hidden = activation.apply(inner);
        } else {
            hidden = activation.apply(project(ps, gateName, x, training)).mul(inner);
        }
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
        Shape inner = in.getOutputShapes(inputShapes)[0];
        if (fusedGate) {
            inner = inner.slice(0, inner.dimension() - 1).add(inner.tail() / 2);
        }
        Modules.child(this, outName).initialize(manager, dataType, inner);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
