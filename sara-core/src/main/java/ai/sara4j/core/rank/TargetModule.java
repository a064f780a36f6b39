package ai.sara4j.core.rank;

/**
 * One module that gets an adapter: a 2-D {@code <name>.weight} tensor of the checkpoint.
 *
 * @param name module name, the weight name minus {@code .weight} ({@code model.layers.0.self_attn.q_proj})
 * @param weight the checkpoint tensor name
 * @param out output features
 * @param in input features
 * @param transposed whether the tensor is stored in × out (GPT-2's Conv1D) rather than PyTorch's out × in
 */
public record TargetModule(String name, String weight, long out, long in, boolean transposed) {

    /**
     * The largest rank the weight can have.
     *
     * @return min(out, in): how many singular values the weight has
     * @throws ArithmeticException when min(out, in) does not fit an int
     */
    public int maxRank() {
        return Math.toIntExact(Math.min(out, in));
    }
}
