package ai.sara4j.djl.model;

/**
 * Rotary position embedding settings.
 *
 * @param theta base of the frequencies ({@code rope_theta})
 * @param rotaryDim leading dimensions of each head that are rotated (the head size, or GPT-J's {@code rotary_dim})
 * @param interleaved GPT-J's layout: pairs are adjacent dimensions (rotate_every_two) rather than the two halves of
 *     the rotated part (LLaMA's rotate_half)
 * @param scaling frequency rescaling ({@code rope_scaling} / {@code rope_parameters})
 */
public record Rope(double theta, int rotaryDim, boolean interleaved, Scaling scaling) {

    /** The {@code rope_type} values supported. */
    public enum Type {
        /** No rescaling. */
        DEFAULT,
        /** Position interpolation: every inverse frequency divided by {@code factor}. */
        LINEAR,
        /** Llama 3.1's wavelength-dependent rescaling between {@code low_freq_factor} and {@code high_freq_factor}. */
        LLAMA3
    }

    /**
     * Frequency rescaling as in transformers' {@code modeling_rope_utils}.
     *
     * @param type {@code rope_type}
     * @param factor {@code factor} (1 for DEFAULT)
     * @param lowFreqFactor llama3 {@code low_freq_factor}
     * @param highFreqFactor llama3 {@code high_freq_factor}
     * @param originalMaxPositions llama3 {@code original_max_position_embeddings}
     */
    public record Scaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
            int originalMaxPositions) {
        /** No rescaling: {@link Type#DEFAULT} with factor 1. */
        public static final Scaling NONE = new Scaling(Type.DEFAULT, 1, 0, 0, 0);
    }

    /**
     * Rope without frequency rescaling.
     *
     * @param theta base of the frequencies ({@code rope_theta}, 10000 for LLaMA 1/2 and GPT-J)
     * @param rotaryDim leading dimensions of each head that are rotated, even
     * @param interleaved true for GPT-J's rotate_every_two, false for LLaMA's rotate_half
     * @return the settings with {@link Scaling#NONE}
     */
    public static Rope plain(double theta, int rotaryDim, boolean interleaved) {
        return new Rope(theta, rotaryDim, interleaved, Scaling.NONE);
    }

    /**
     * The inverse frequencies of the rotation, as transformers' {@code modeling_rope_utils} computes them.
     *
     * @return rotaryDim/2 values θ^(−2i/rotaryDim), i = 0 … rotaryDim/2 − 1, rescaled per {@link #scaling()}
     */
    public double[] inverseFrequencies() {
        double[] inv = new double[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, 2.0 * i / rotaryDim);
        }
        switch (scaling.type()) {
            case DEFAULT -> { }
            case LINEAR -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= scaling.factor();
                }
            }
            case LLAMA3 -> applyLlama3(inv);
        }
        return inv;
    }

    /**
     * Llama 3.1: wavelengths longer than original/low_freq_factor are slowed by {@code factor}, shorter than
     * original/high_freq_factor are kept, and those between are interpolated.
     */
    private void applyLlama3(double[] inv) {
        double original = scaling.originalMaxPositions();
        double lowFreqWavelen = original / scaling.lowFreqFactor();
        double highFreqWavelen = original / scaling.highFreqFactor();
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowFreqWavelen) {
                inv[i] /= scaling.factor();
            } else if (wavelen >= highFreqWavelen) {
                double smooth = (original / wavelen - scaling.lowFreqFactor())
                        / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                inv[i] = (1 - smooth) * inv[i] / scaling.factor() + smooth * inv[i];
            }
        }
    }
}
