package ai.sara4j.core.rank;

import ai.sara4j.core.safetensors.TensorSource;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Computes the singular values of target weights. sara-core has no linear algebra; the DJL module implements this
 * on the engine. The planner asks once for all targets, so an implementation can batch matrices of equal shape.
 */
@FunctionalInterface
public interface SingularValueSource {

    /**
     * The singular values of each target's weight (any order; min(out, in) of them), keyed by
     * {@link TargetModule#name()}. Singular values do not depend on {@link TargetModule#transposed()}.
     *
     * @param model the checkpoint holding the weights
     * @param targets the modules to decompose
     * @return min(out, in) singular values per target, keyed by module name
     * @throws IOException when the checkpoint cannot be read
     */
    Map<String, double[]> singularValues(TensorSource model, List<TargetModule> targets) throws IOException;
}
