/**
 * Rank planning without a tensor library: SARA's Algorithm 1 ({@link ai.sara4j.core.rank.RankRule}: the smallest
 * rank whose top singular values hold a threshold share of their sum) over a module's sorted
 * {@link ai.sara4j.core.rank.Spectrum}, the trainable-parameter count of each method
 * ({@link ai.sara4j.core.rank.Method}), whole-model plans read from a checkpoint header
 * ({@link ai.sara4j.core.rank.RankPlanner}, {@link ai.sara4j.core.rank.RankPlan}), and the exact threshold that
 * matches a parameter budget such as LoRA r = 8 ({@link ai.sara4j.core.rank.BudgetMatcher}). The singular values
 * themselves come from a {@link ai.sara4j.core.rank.SingularValueSource}, which sara-djl implements on the engine.
 */
package ai.sara4j.core.rank;
