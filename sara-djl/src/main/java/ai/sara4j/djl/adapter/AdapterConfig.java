package ai.sara4j.djl.adapter;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import java.util.Map;

/** The method-independent part of an adapter configuration; each method package has its own record. */
public interface AdapterConfig {
    /** The registry name of the method ({@code lora}, {@code sara}, {@code mosara}, …). */
    String method();

    /** Which Linear modules get an adapter (PEFT's {@code target_modules} rule). */
    TargetMatcher targets();

    /** Dropout on the adapter input (0 for none). */
    double dropout();

    /** Seed for the random initialisation of the adapter tensors. */
    long seed();

    /**
     * This configuration as an {@code adapter_config.json}, with the rank realised for every module written to
     * {@code rank_pattern} (module path → rank) so that loading needs no SVD.
     */
    PeftConfig toPeft(Map<String, Integer> ranks);
}
