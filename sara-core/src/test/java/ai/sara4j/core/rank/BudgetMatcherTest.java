package ai.sara4j.core.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.testing.RankFixture;
import ai.sara4j.core.target.TargetMatcher;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class BudgetMatcherTest {

    /** Two 2-D modules with hand-checkable breakpoints: A (2x2) s = [3, 1], B (2x3) s = [1, 1]. */
    private static RankPlanner twoModules() {
        return RankPlanner.of(new HeaderOnlySource().add("a.weight", 2, 2).add("b.weight", 2, 3),
                TargetMatcher.regex("a|b"));
    }

    private static final Map<String, Spectrum> TWO_SPECTRA = Map.of(
            "a", Spectrum.of("a", new double[] {3, 1}),
            "b", Spectrum.of("b", new double[] {1, 1}));

    @Test
    void handExampleWithTies() {
        // SARA counts: a 5 per rank, b 6 per rank. Thresholds (0, 0.5] -> ranks (1,1) = 11;
        // (0.5, 0.75] -> (1,2) = 17; (0.75, 1] -> (2,2) = 22.
        RankPlanner planner = twoModules();
        assertMatch(planner, 1, 0.5, 11);
        assertMatch(planner, 14, 0.5, 11); // 11 and 17 both 3 away: under the budget wins
        assertMatch(planner, 15, 0.75, 17);
        assertMatch(planner, 17, 0.75, 17);
        assertMatch(planner, 20, 1.0, 22);
        assertMatch(planner, 1_000_000, 1.0, 22);
    }

    private static void assertMatch(RankPlanner planner, long budget, double threshold, long trainable) {
        BudgetMatcher.Match m = BudgetMatcher.match(planner, Method.SARA, TWO_SPECTRA, budget);
        assertEquals(threshold, m.threshold(), "threshold for budget " + budget);
        assertEquals(trainable, m.plan().trainable(), "count for budget " + budget);
        assertEquals(threshold, m.plan().threshold());
    }

    @Test
    void loraR8BudgetOnTheFixtureIsTheClosestAchievable() throws Exception {
        RankPlanner planner = RankPlanner.of(RankPlannerTest.fixtureModel(),
                TargetMatcher.names(RankFixture.load().targets()));
        Map<String, Spectrum> spectra = planner.spectra((m, t) -> RankFixture.load().singularValues());
        long budget = planner.fixedRank(Method.LORA, 8).trainable();
        // LoRA r=8 per layer: q,o 8(128+128); k,v 8(64+128); gate,up,down 8(384+128); two layers
        assertEquals(2 * 8 * (2 * 256 + 2 * 192 + 3 * 512), budget);

        for (Method method : new Method[] {Method.SARA, Method.MOSARA}) {
            int heads = method == Method.MOSARA ? 5 : 0;
            BudgetMatcher.Match match = BudgetMatcher.matchLora(planner, method, heads, spectra, 8);
            RankPlan again = planner.byThreshold(method, match.threshold(), heads, spectra);
            assertEquals(again.ranks(), match.plan().ranks(), "the returned plan is the rule's at that threshold");
            assertEquals(again.trainable(), match.plan().trainable());

            // Brute force, independent of Spectrum.largestThresholdForRank: every ratio (s1+..+sk)/total and its
            // neighbours within 2 ulps, plus a fine grid.
            TreeSet<Double> candidates = new TreeSet<>();
            for (Spectrum s : spectra.values()) {
                for (int k = 1; k <= s.size(); k++) {
                    double t = s.cumulative(k) / s.total();
                    for (int ulp = -2; ulp <= 2; ulp++) {
                        double c = ulp < 0 ? Math.nextDown(ulp == -2 ? Math.nextDown(t) : t)
                                : ulp > 0 ? Math.nextUp(ulp == 2 ? Math.nextUp(t) : t) : t;
                        if (c > 0 && c <= 1) {
                            candidates.add(c);
                        }
                    }
                }
            }
            for (int i = 1; i <= 10_000; i++) {
                candidates.add(i / 10_000.0);
            }
            long bestDistance = Long.MAX_VALUE;
            for (double t : candidates) {
                RankPlan plan = planner.byThreshold(method, t, heads, spectra);
                bestDistance = Math.min(bestDistance, Math.abs(plan.trainable() - budget));
                if (t > match.threshold()) {
                    assertTrue(!plan.ranks().equals(match.plan().ranks()),
                            "the returned threshold is the largest giving that plan");
                }
            }
            assertEquals(bestDistance, Math.abs(match.plan().trainable() - budget), method + ": closest achievable");
            if (method == Method.SARA) {
                // the same brute force in numpy over cumsum(s)/cumsum(s)[-1] finds 38821 at this ratio
                assertEquals(0.13577435167872554, match.threshold());
                assertEquals(38_821, match.plan().trainable());
            } else {
                assertEquals(1.0, match.threshold(), "Mo-SARA cannot reach LoRA's budget: all singular values");
            }
        }
    }

    @Test
    void badArguments() {
        RankPlanner planner = twoModules();
        assertThrows(IllegalArgumentException.class, () -> BudgetMatcher.match(planner, Method.LORA, 0, TWO_SPECTRA, 10));
        assertThrows(IllegalArgumentException.class, () -> BudgetMatcher.match(planner, Method.SARA, TWO_SPECTRA, 0));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> BudgetMatcher.matchLora(planner, Method.MOSARA, TWO_SPECTRA, 2)).getMessage().contains("heads"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> BudgetMatcher.match(planner, Method.SARA, Map.of(), 10)).getMessage().startsWith("a: "));
    }
}
