package ai.sara4j.djl.adapter.sora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.sara4j.djl.train.StepHook;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SoRA's proximal step on the gates, run after every optimizer update: the proximal operator of lr·ξ·‖g‖₁,
 * {@code g ← sign(g)·max(|g| − lr·ξ, 0)} (soft thresholding), with ξ from the {@link XiSchedule} at that update.
 * Gates that reach 0 stay 0 unless their gradient pushes them out again by more than the threshold.
 *
 * <p>Metrics per update: {@code live_rank/<module>} (non-zero gates), {@code live_rank/total} and {@code sora_xi}.
 */
public final class SoraProximalStep implements StepHook {
    private final Map<String, SoraLayer> layers;
    private final XiSchedule schedule;
    private double lastXi;

    /**
     * A step over {@code layers} with ξ from {@code schedule}.
     *
     * @param layers module path → SoRA layer, in model order (copied); the keys name the metrics
     * @param schedule gives ξ at each optimizer update
     */
    public SoraProximalStep(Map<String, SoraLayer> layers, XiSchedule schedule) {
        this.layers = new LinkedHashMap<>(layers);
        this.schedule = schedule;
        this.lastXi = schedule.at(1);
    }

    @Override
    public void afterUpdate(long step, float learningRate) {
        lastXi = schedule.at(step);
        double threshold = learningRate * lastXi;
        for (SoraLayer layer : layers.values()) {
            NDArray g = layer.gate().getArray();
            try (NDScope scope = new NDScope()) {
                // g − soft(g) is what the threshold removes: min(|g|, t)·sign(g); subtracting it keeps g in place
                NDArray removed = g.abs().minimum(threshold).mul(g.sign());
                g.subi(removed);
            }
        }
    }

    @Override
    public Map<String, Number> metrics() {
        Map<String, Number> out = new LinkedHashMap<>();
        int total = 0;
        for (Map.Entry<String, SoraLayer> e : layers.entrySet()) {
            int live = e.getValue().liveRank();
            out.put("live_rank/" + e.getKey(), live);
            total += live;
        }
        out.put("live_rank/total", total);
        out.put("sora_xi", lastXi);
        return out;
    }
}
