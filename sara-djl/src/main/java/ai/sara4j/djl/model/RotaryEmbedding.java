package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding applied to queries and keys: {@code x·cos + rotate(x)·sin} on the first
 * {@code rotaryDim} dimensions of each head, the rest passed through. LLaMA pairs dimension i with i + d/2
 * (rotate_half); GPT-J pairs adjacent dimensions (rotate_every_two).
 */
final class RotaryEmbedding {
    private final Rope rope;
    private final float[] inverseFrequencies;

    RotaryEmbedding(Rope rope) {
        this.rope = rope;
        double[] inv = rope.inverseFrequencies();
        this.inverseFrequencies = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            inverseFrequencies[i] = (float) inv[i];
        }
    }

    /** Cosines and sines (B, 1, T, rotaryDim) for integer positions (B, T), in {@code dtype}. */
    NDArray[] cosSin(NDArray positions, DataType dtype) {
        Shape bt = positions.getShape();
        NDArray inv = positions.getManager().create(inverseFrequencies).toDevice(positions.getDevice(), false);
        NDArray angles = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv); // (B, T, d/2)
        NDArray full = rope.interleaved()
                ? angles.expandDims(-1).repeat(-1, 2).reshape(bt.get(0), bt.get(1), rope.rotaryDim())
                : angles.concat(angles, -1); // (B, T, d)
        full = full.expandDims(1);
        return new NDArray[] {full.cos().toType(dtype, false), full.sin().toType(dtype, false)};
    }

    /** Rotates x (B, heads, T, headDim). */
    NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long headDim = x.getShape().get(3);
        int d = rope.rotaryDim();
        NDArray rot = d == headDim ? x : x.get(new NDIndex("..., :{}", d));
        NDArray rotated = rot.mul(cos).add(rotate(rot).mul(sin));
        return d == headDim ? rotated : rotated.concat(x.get(new NDIndex("..., {}:", d)), -1);
    }

    private NDArray rotate(NDArray x) {
        Shape s = x.getShape();
        int d = rope.rotaryDim();
        if (rope.interleaved()) {
            // (x0, x1, x2, x3, …) → (−x1, x0, −x3, x2, …)
            NDArray pairs = x.reshape(s.get(0), s.get(1), s.get(2), d / 2, 2);
            NDArray even = pairs.get(new NDIndex("..., 0"));
            NDArray odd = pairs.get(new NDIndex("..., 1"));
            return odd.neg().stack(even, -1).reshape(s);
        }
        // (x1, x2) → (−x2, x1) with x1, x2 the two halves
        NDList halves = x.split(2, 3);
        return halves.get(1).neg().concat(halves.get(0), -1);
    }
}
