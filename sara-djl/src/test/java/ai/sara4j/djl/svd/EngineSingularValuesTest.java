package ai.sara4j.djl.svd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import ai.sara4j.core.rank.RankPlanner;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.core.testing.RankFixture;
import ai.sara4j.core.testing.SharedData;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Engine singular values of the real tinystories-656k weights against the committed float64 reference. */
class EngineSingularValuesTest {

    @Test
    void float64MatchesReferenceAndFloat32WithinItsPrecision() throws Exception {
        RankFixture fixture = RankFixture.load();
        try (Checkpoint model = Checkpoint.open(SharedData.tinyStories())) {
            RankPlanner planner = RankPlanner.of(model, TargetMatcher.names(fixture.targets()));
            Map<String, double[]> exact = EngineSingularValues.exact(Device.cpu())
                    .singularValues(model, planner.targets());
            // small batches exercise the batch splitting as well
            Map<String, double[]> single = new EngineSingularValues(Device.cpu(), DataType.FLOAT32,
                    EngineSvd.Algorithm.SVD, 1).singularValues(model, planner.targets());
            Map<String, double[]> gram = new EngineSingularValues(Device.cpu(), DataType.FLOAT64,
                    EngineSvd.Algorithm.GRAM, 1L << 30).singularValues(model, planner.targets());
            assertEquals(fixture.modules().size(), exact.size());
            for (RankFixture.Module m : fixture.modules()) {
                double[] ref = m.singularValues();
                for (int i = 0; i < ref.length; i++) {
                    assertEquals(ref[i], exact.get(m.name())[i], 1e-10 * ref[0], m.name() + " σ" + i);
                    assertEquals(ref[i], gram.get(m.name())[i], 1e-7 * ref[0], m.name() + " gram σ" + i);
                    // float32's backward error is a few ulps of the largest singular value, so the small ones are
                    // accurate to that absolute level only (and it varies with the threads LAPACK gets)
                    assertEquals(ref[i], single.get(m.name())[i], 1e-4 * ref[i] + 2e-6 * ref[0],
                            m.name() + " fp32 σ" + i);
                }
            }
        }
    }
}
