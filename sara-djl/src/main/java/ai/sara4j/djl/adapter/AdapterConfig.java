package ai.sara4j.djl.adapter;

import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.target.TargetMatcher;
import java.util.Map;

/**
 * The method-independent part of an adapter configuration; each method package has its own class, built with its
 * {@code builder(targets)} (defaults stated there) or changed with its {@code with…} methods, every value checked at
 * construction.
 */
public interface AdapterConfig {
    /** The seed of the random initialisation when none is given (PEFT examples' 42). */
    long DEFAULT_SEED = 42;

    /** {@return the registry name of the method ({@code lora}, {@code sara}, {@code mosara}, …)} */
    String method();

    /** {@return which Linear modules get an adapter (PEFT's {@code target_modules} rule)} */
    TargetMatcher targets();

    /** {@return the dropout on the adapter input, in [0, 1) (0 for none)} */
    double dropout();

    /** {@return the seed for the random initialisation of the adapter tensors} */
    long seed();

    /**
     * This configuration as an {@code adapter_config.json}, with the rank realised for every module written to
     * {@code rank_pattern} (module path → rank) so that loading needs no SVD.
     *
     * @param ranks the rank of every adapted module, by module path
     * @return the PEFT configuration
     */
    PeftConfig toPeft(Map<String, Integer> ranks);
}
