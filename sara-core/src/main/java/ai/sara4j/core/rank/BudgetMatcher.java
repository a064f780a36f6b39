package ai.sara4j.core.rank;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Finds the SARA (or Mo-SARA) threshold whose plan's trainable-parameter count is closest to a budget, e.g. the
 * count of LoRA r=8 on the same targets, as the SARA paper matches budgets by hand.
 *
 * <p>The search is exact, not a bisection over floats. A module's rank is a step function of the threshold:
 * rank ≤ j exactly for thresholds up to {@link Spectrum#largestThresholdForRank(int) largestThresholdForRank(j)}.
 * So the plan is constant between consecutive such breakpoints (over all modules and j), and each distinct plan is
 * reached at the breakpoint closing its interval. The matcher sweeps the sorted breakpoints once, updating each
 * module's rank as its breakpoints are passed, and so sees every achievable plan.
 *
 * <p>Ties: among plans equally far from the budget, the one under the budget wins; among plans with the same count,
 * the smallest threshold (the first reached). The returned threshold is the largest one giving the chosen plan,
 * which is a cumulative singular-value ratio of one module: {@code (s1+…+sj)/Σs}, to the last ulp.
 */
public final class BudgetMatcher {
    private BudgetMatcher() {}

    /**
     * The result: the threshold and the plan it gives.
     *
     * @param threshold the largest threshold giving {@code plan}
     * @param plan the plan at that threshold (its trainable count is the closest to the budget)
     */
    public record Match(double threshold, RankPlan plan) {}

    private record Breakpoint(double threshold, int module, int rank) {}

    /**
     * The threshold whose plan comes closest to {@code budget} trainable parameters.
     *
     * @param planner the planner holding the target modules and the checkpoint's parameter count
     * @param method SARA or Mo-SARA
     * @param heads Mo-SARA's m; ignored for SARA
     * @param spectra from {@link RankPlanner#spectra}
     * @param budget the trainable count to match, at least 1
     * @return the largest threshold of the closest plan, with that plan
     * @throws IllegalArgumentException for a fixed-rank method, Mo-SARA with fewer than 1 head, a budget below 1,
     *     or a target missing from {@code spectra}
     */
    public static Match match(RankPlanner planner, Method method, int heads, Map<String, Spectrum> spectra,
            long budget) {
        RankPlanner.checkHeads(method, heads);
        if (budget < 1) {
            throw new IllegalArgumentException("budget must be at least 1 trainable parameter, got " + budget);
        }
        List<TargetModule> targets = planner.targets();
        List<Breakpoint> breakpoints = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            Spectrum s = RankPlanner.spectrumOf(targets.get(i), spectra);
            for (int j = 1; j <= s.size(); j++) {
                breakpoints.add(new Breakpoint(s.largestThresholdForRank(j), i, j));
            }
        }
        breakpoints.sort(Comparator.comparingDouble(Breakpoint::threshold));

        // Sweep thresholds upwards. Before the first breakpoint every rank is 1; at breakpoint t the ranks are
        // those of threshold t; just above t, each module whose breakpoint this is has rank j + 1. The last
        // breakpoint is 1 (rank = size for every module), after which nothing is evaluated.
        int[] ranks = new int[targets.size()];
        long count = 0;
        for (int i = 0; i < ranks.length; i++) {
            ranks[i] = 1;
            count += trainable(method, targets.get(i), 1, heads);
        }
        double bestThreshold = Double.NaN;
        long bestCount = 0;
        int[] bestRanks = null;
        int b = 0;
        while (b < breakpoints.size()) {
            double t = breakpoints.get(b).threshold();
            if (bestRanks == null || closer(count, bestCount, budget)) {
                bestThreshold = t;
                bestCount = count;
                bestRanks = ranks.clone();
            }
            for (; b < breakpoints.size() && breakpoints.get(b).threshold() == t; b++) {
                Breakpoint p = breakpoints.get(b);
                if (p.rank() + 1 > ranks[p.module()]) {
                    TargetModule target = targets.get(p.module());
                    count += trainable(method, target, p.rank() + 1, heads)
                            - trainable(method, target, ranks[p.module()], heads);
                    ranks[p.module()] = p.rank() + 1;
                }
            }
        }
        return new Match(bestThreshold, planner.withRanks(method, bestThreshold, heads, bestRanks));
    }

    /**
     * A SARA plan matched to {@code budget}: {@link #match(RankPlanner, Method, int, Map, long)} without Mo-SARA's
     * heads.
     *
     * @param planner the targets
     * @param method {@link Method#SARA}
     * @param spectra from {@link RankPlanner#spectra}
     * @param budget the trainable count to match, at least 1
     * @return the threshold and its plan
     * @throws IllegalArgumentException for Mo-SARA (which needs heads) or another method, or a budget &lt; 1
     */
    public static Match match(RankPlanner planner, Method method, Map<String, Spectrum> spectra, long budget) {
        RankPlanner.requireSara(method);
        return match(planner, method, 0, spectra, budget);
    }

    /**
     * A SARA plan matched to LoRA rank {@code r} on the same targets, without Mo-SARA's heads.
     *
     * @param planner the targets
     * @param method {@link Method#SARA}
     * @param spectra from {@link RankPlanner#spectra}
     * @param r the LoRA rank whose trainable count is the budget
     * @return the threshold and its plan
     * @throws IllegalArgumentException for Mo-SARA (which needs heads) or another method
     */
    public static Match matchLora(RankPlanner planner, Method method, Map<String, Spectrum> spectra, int r) {
        RankPlanner.requireSara(method);
        return matchLora(planner, method, 0, spectra, r);
    }

    /**
     * {@link #match} with the budget of LoRA rank {@code r} on the same targets: r·(in + out) summed over them.
     *
     * @param planner the planner holding the target modules
     * @param method SARA or Mo-SARA
     * @param heads Mo-SARA's m; ignored for SARA
     * @param spectra from {@link RankPlanner#spectra}
     * @param r the LoRA rank whose trainable count is the budget, at least 1
     * @return the largest threshold of the plan closest to LoRA r's count, with that plan
     * @throws IllegalArgumentException as {@link #match} does, or for r below 1
     */
    public static Match matchLora(RankPlanner planner, Method method, int heads, Map<String, Spectrum> spectra,
            int r) {
        return match(planner, method, heads, spectra, planner.fixedRank(Method.LORA, r).trainable());
    }

    /** Whether {@code count} beats {@code best}: strictly nearer, or as near and under the budget where best is over. */
    private static boolean closer(long count, long best, long budget) {
        long d = Math.abs(count - budget);
        long bestD = Math.abs(best - budget);
        return d < bestD || (d == bestD && count < best);
    }

    private static long trainable(Method method, TargetModule t, int k, int heads) {
        return method.trainable(t.out(), t.in(), k, heads);
    }
}
