package ai.sara4j.djl.adapter.lora;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.adapter.AdapterConfig;
import java.util.List;
import java.util.Map;

/**
 * LoRA, exactly as PEFT's {@code LoraConfig} for the fields SARA4J supports: ΔW = s·B·A with s = alpha/r (or
 * alpha/√r with rsLoRA), per-module r and alpha through {@code rank_pattern} / {@code alpha_pattern}; the targets
 * carry {@code exclude_modules}, {@code layers_to_transform} and {@code layers_pattern}.
 *
 * @param targets target modules
 * @param r default rank (PEFT default 8)
 * @param alpha default lora_alpha (PEFT default 8)
 * @param dropout adapter input dropout (PEFT default 0)
 * @param useRslora scaling alpha/√r instead of alpha/r
 * @param rankPattern per-module rank overrides (PEFT key rule)
 * @param alphaPattern per-module alpha overrides (PEFT key rule)
 * @param seed seed of the Kaiming-uniform draw of A
 */
public record LoraConfig(TargetMatcher targets, int r, double alpha, double dropout, boolean useRslora,
        Map<String, Integer> rankPattern, Map<String, Double> alphaPattern, long seed) implements AdapterConfig {
    public static final String METHOD = "lora";
    /** PEFT LoRA features SARA4J does not implement; a file using one is refused rather than half-applied. */
    private static final List<String> UNSUPPORTED_FIELDS = List.of("modules_to_save", "target_parameters",
            "trainable_token_indices", "layer_replication", "use_qalora", "alora_invocation_tokens");

    public LoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("LoRA r must be >= 1, got " + r);
        }
        rankPattern = Map.copyOf(rankPattern);
        alphaPattern = Map.copyOf(alphaPattern);
    }

    /** PEFT's defaults (alpha = r, no dropout) for the given targets and rank. */
    public static LoraConfig of(TargetMatcher targets, int r, double alpha) {
        return new LoraConfig(targets, r, alpha, 0.0, false, Map.of(), Map.of(), 42);
    }

    public LoraConfig withDropout(double value) {
        return new LoraConfig(targets, r, alpha, value, useRslora, rankPattern, alphaPattern, seed);
    }

    public LoraConfig withRslora(boolean value) {
        return new LoraConfig(targets, r, alpha, dropout, value, rankPattern, alphaPattern, seed);
    }

    public LoraConfig withPatterns(Map<String, Integer> ranks, Map<String, Double> alphas) {
        return new LoraConfig(targets, r, alpha, dropout, useRslora, ranks, alphas, seed);
    }

    public LoraConfig withSeed(long value) {
        return new LoraConfig(targets, r, alpha, dropout, useRslora, rankPattern, alphaPattern, value);
    }

    @Override
    public String method() {
        return METHOD;
    }

    /** The rank of {@code module}: its rank_pattern entry, else r. */
    public int rankFor(String module) {
        return PeftConfig.patternKey(rankPattern.keySet(), module).map(rankPattern::get).orElse(r);
    }

    /** The scaling of {@code module}: alpha/r, or alpha/√r with rsLoRA, after the patterns. */
    public double scalingFor(String module) {
        double a = PeftConfig.patternKey(alphaPattern.keySet(), module).map(alphaPattern::get).orElse(alpha);
        int rank = rankFor(module);
        return useRslora ? a / Math.sqrt(rank) : a / rank;
    }

    @Override
    public PeftConfig toPeft(Map<String, Integer> ranks) {
        return PeftConfig.create("LORA").r(r).loraAlpha(alpha).loraDropout(dropout).useRslora(useRslora)
                .targetModules(targets).rankPattern(rankPattern).alphaPattern(alphaPattern);
    }

    /** Reads a PEFT LoRA config, refusing what SARA4J's LoRA does not implement. */
    static LoraConfig fromPeft(PeftConfig file) {
        if (file.useDora()) {
            throw new IllegalArgumentException(PeftConfig.FILE_NAME + ": use_dora=true is DoRA, not plain LoRA");
        }
        if (file.fanInFanOut()) {
            throw new IllegalArgumentException(PeftConfig.FILE_NAME
                    + ": fan_in_fan_out=true (Conv1D weights) is not supported; SARA4J models use out×in Linear");
        }
        for (String field : UNSUPPORTED_FIELDS) {
            if (file.isSet(field)) {
                throw new IllegalArgumentException(PeftConfig.FILE_NAME + ": " + field + " is not supported");
            }
        }
        if (!"none".equals(file.bias())) {
            throw new IllegalArgumentException(PeftConfig.FILE_NAME + ": bias='" + file.bias()
                    + "' is not supported (only 'none')");
        }
        return new LoraConfig(file.targetModules(), file.r(), file.loraAlpha(), file.loraDropout(),
                file.useRslora(), file.rankPattern(), file.alphaPattern(), 42);
    }
}
