/**
 * Which modules of a model get an adapter: {@link ai.sara4j.core.target.TargetMatcher} implements Hugging Face
 * PEFT's {@code target_modules}, {@code exclude_modules}, {@code layers_to_transform} and {@code layers_pattern}
 * rules (and the {@code all-linear} shorthand) on full dotted module names, with PEFT's errors when nothing is
 * selected.
 */
package ai.sara4j.core.target;
