/**
 * The papers' recipes as named presets: {@link ai.sara4j.djl.recipe.Recipes#named(String)} gives a
 * {@link ai.sara4j.djl.recipe.Recipe} (method, source table, task, model and the values the source prints), whose
 * {@link ai.sara4j.djl.recipe.Recipe#trainingOptions()} and
 * {@link ai.sara4j.djl.recipe.Recipe#adapterOptions(ai.sara4j.core.target.TargetMatcher)} are builders pre-filled
 * with those values, for the caller to override.
 *
 * <pre>{@code
 * Recipe recipe = Recipes.named("sara-e2e");
 * AdapterConfig config = recipe.adapterConfig(TargetMatcher.names("q_proj", "v_proj"));
 * TrainingOptions options = recipe.trainingOptions().maxSteps(200).build();   // an override
 * }</pre>
 *
 * <p>The data is one resource, {@code ai/sara4j/djl/recipe/recipes.json}.
 */
package ai.sara4j.djl.recipe;
