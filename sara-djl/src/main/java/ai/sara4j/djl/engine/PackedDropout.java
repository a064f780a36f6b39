package ai.sara4j.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;

/**
 * Inverted dropout whose CPU mask costs a quarter of the random draws of torch's. libtorch's CPU {@code dropout}
 * makes its mask with {@code bernoulli_}, one draw of the (serial) generator per element; on the adapter inputs of a
 * small model that was about 1.1 ms of a 65 ms training step per adapted module. Here each 64-bit draw
 * ({@code random_} over the full int64 range) gives four independent 16-bit lanes, and an element is dropped when its
 * lane falls in the lowest {@code t = round(p·65536)} of the 65,536 values: a drop probability of exactly t/65536
 * (within 1/131072 of {@code p}), kept elements scaled by 65536/(65536 − t) so that the expectation is unchanged.
 *
 * <p>Lane i of word w sits in the top 16 bits of {@code w << (48 − 16i)}; as a signed int64 that value is at least
 * {@code (t − 32768)·2⁴⁸} exactly when the lane, read as a signed 16-bit number, is at least {@code t − 32768}, so
 * one shift and one comparison make the mask without reinterpreting bytes (TorchScript has no dtype view).
 *
 * <p>The mask comes from torch's default generator like {@code dropout}'s, so {@code Engine.setRandomSeed} makes it
 * repeatable. It runs as a TorchScript module with autograd recorded: the backward pass is the same mask product. On
 * a GPU, where torch's fused dropout kernel is fast, this is torch's {@code dropout}.
 */
public final class PackedDropout {
    private static final int LANE_VALUES = 1 << 16;

    private PackedDropout() {}

    /**
     * {@code x} with elements zeroed with probability {@code p} (rounded to a multiple of 1/65536) and the rest scaled
     * to keep the expectation; {@code x} itself when that probability is 0.
     *
     * @param x the adapter input, any shape and floating dtype; its device chooses the CPU or the GPU path
     * @param p the drop probability, as PEFT's {@code lora_dropout}
     * @return a new tensor of {@code x}'s shape and dtype, recorded by autograd (or {@code x} when nothing drops)
     * @throws IllegalArgumentException unless 0 ≤ p &lt; 1
     */
    public static NDArray apply(NDArray x, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        int dropped = (int) Math.min(Math.round(p * LANE_VALUES), LANE_VALUES - 1);
        if (dropped == 0) {
            return x;
        }
        if (x.getDevice().isGpu()) {
            return Dropout.dropout(x, (float) p, true).singletonOrThrow();
        }
        return module(dropped).forwardRecorded(x);
    }

    private static TorchScriptModule module(int dropped) {
        String name = "PackedDropout" + dropped;
        long threshold = (long) (dropped - LANE_VALUES / 2) << 48;
        double scale = (double) LANE_VALUES / (LANE_VALUES - dropped);
        return TorchScriptModule.shared(name, "  def forward(self: __torch__." + name + ", x: Tensor) -> Tensor:\n"
                + "    n = torch.numel(x)\n"
                + "    words = torch.empty([torch.floordiv(torch.add(n, 3), 4), 1], dtype=4, layout=None,"
                + " device=ops.prim.device(x))\n"
                + "    words = torch.random_(words, -9223372036854775808, None)\n"
                + "    lanes = torch.bitwise_left_shift(words, torch.arange(48, -1, -16, dtype=None, layout=None,"
                + " device=ops.prim.device(x)))\n"
                + "    keep = torch.slice(torch.view(torch.ge(lanes, " + threshold + "), [-1]), 0, None, n)\n"
                + "    mask = torch.mul_(torch.to(torch.view(keep, torch.size(x)), ops.prim.dtype(x)), "
                + scale + ")\n"
                + "    return torch.mul(x, mask)\n");
    }
}
