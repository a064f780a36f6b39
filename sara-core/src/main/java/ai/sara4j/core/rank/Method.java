package ai.sara4j.core.rank;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The fine-tuning methods, with the number of trainable parameters each adds to one target module of shape
 * out × in. For SARA and Mo-SARA the rank k comes from the {@link RankRule}; for the others it is the chosen r.
 */
public enum Method {
    /** LoRA: A (r × in), B (out × r). */
    LORA {
        @Override
        public long trainable(long out, long in, int k, int heads) {
            return (long) k * (in + out);
        }
    },
    /** SARA: U (out × k), λ (k), V (k × in). */
    SARA {
        @Override
        public long trainable(long out, long in, int k, int heads) {
            return (long) k * (out + in + 1);
        }
    },
    /** Mo-SARA: m singular-value vectors (m × k), output vector v (out), router w1 (k × 1) and w2 (1 × m). */
    MOSARA {
        @Override
        public long trainable(long out, long in, int k, int heads) {
            return (long) heads * k + out + k + heads;
        }
    },
    /** SoRA: LoRA's A and B plus a gate g (r). */
    SORA {
        @Override
        public long trainable(long out, long in, int k, int heads) {
            return (long) k * (in + out) + k;
        }
    },
    /** EDoRA: R (r × r) between frozen SVD factors, and the magnitude m (out). */
    EDORA {
        @Override
        public long trainable(long out, long in, int k, int heads) {
            return (long) k * k + out;
        }
    };

    /**
     * Trainable parameters added to one module.
     *
     * @param out output features (rows of the PyTorch weight)
     * @param in input features
     * @param k the module's rank (SARA/Mo-SARA: from the threshold; others: r)
     * @param heads Mo-SARA's number m of singular-value vectors; ignored by the other methods
     * @return the number of trainable scalars the method adds to an out × in module (biases not counted)
     */
    public abstract long trainable(long out, long in, int k, int heads);

    /**
     * Whether the rank comes from a threshold on the singular values rather than a fixed r.
     *
     * @return true for SARA and Mo-SARA
     */
    public boolean usesThreshold() {
        return this == SARA || this == MOSARA;
    }

    /**
     * The name used on the command line and in JSON.
     *
     * @return the constant's name in lower case: {@code lora}, {@code sara}, {@code mosara}, {@code sora},
     *     {@code edora}
     */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a command-line name ({@code lora}, {@code sara}, {@code mosara}, {@code sora}, {@code edora}),
     * ignoring case.
     *
     * @param name the name, surrounding blanks ignored
     * @return the method
     * @throws IllegalArgumentException naming the value and listing the valid names
     */
    public static Method parse(String name) {
        for (Method m : values()) {
            if (m.cliName().equalsIgnoreCase(name.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + name + "'; valid: "
                + Arrays.stream(values()).map(Method::cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName();
    }
}
