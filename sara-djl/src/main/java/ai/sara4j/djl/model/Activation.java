package ai.sara4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.sara4j.djl.engine.Scalars;
import java.util.Arrays;
import java.util.Optional;

/** Hidden activations of the supported models, by their Hugging Face names ({@code hidden_act}). */
public enum Activation {
    /** SiLU (swish), x·σ(x): LLaMA's MLP gate. */
    SILU("silu"),
    /** The tanh approximation used by GPT-2 and GPT-J. */
    GELU_NEW("gelu_new"),
    /** The same tanh approximation under the name transformers gives PyTorch's {@code gelu(approximate="tanh")}. */
    GELU_PYTORCH_TANH("gelu_pytorch_tanh"),
    /** The exact, erf-based GELU. */
    GELU("gelu"),
    /** max(x, 0). */
    RELU("relu");

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private final String hfName;

    Activation(String hfName) {
        this.hfName = hfName;
    }

    /**
     * The name used in {@code config.json} ({@code hidden_act} or {@code activation_function}).
     *
     * @return the Hugging Face name, e.g. {@code silu}
     */
    public String hfName() {
        return hfName;
    }

    /**
     * The activation called {@code name} in {@code config.json}.
     *
     * @param name the Hugging Face name, case-sensitive
     * @return the activation, or empty when SARA4J does not implement it
     */
    public static Optional<Activation> ofHfName(String name) {
        return Arrays.stream(values()).filter(a -> a.hfName.equals(name)).findFirst();
    }

    /**
     * Applies the activation element-wise, as transformers' {@code ACT2FN} does, with autograd recorded.
     *
     * @param x the input, any shape, a floating dtype
     * @return a new array of {@code x}'s shape and dtype
     */
    public NDArray apply(NDArray x) {
        return switch (this) {
            case SILU -> TorchFunctions.silu(x);
            // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            case GELU_NEW, GELU_PYTORCH_TANH -> x.mul(Scalars.like(x, 0.5)).mul(x.add(x.pow(Scalars.like(x, 3))
                    .mul(Scalars.like(x, 0.044715))).mul(Scalars.like(x, SQRT_2_OVER_PI)).tanh().add(1));
            case GELU -> x.mul(Scalars.like(x, 0.5)).mul(x.div(Scalars.like(x, Math.sqrt(2))).erf().add(1));
            case RELU -> x.maximum(Scalars.like(x, 0));
        };
    }
}
