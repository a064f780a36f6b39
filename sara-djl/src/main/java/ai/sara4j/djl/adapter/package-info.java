/**
 * The method-independent adapter wiring, after Hugging Face PEFT.
 *
 * <ul>
 *   <li>{@link ai.sara4j.djl.adapter.Adapters}: the entry points, {@code inject} (targets found by dotted module
 *       path with PEFT's {@code target_modules} rule, every other parameter frozen) and {@code load} (a SARA4J adapter
 *       folder, or a plain PEFT LoRA folder made in Python);</li>
 *   <li>{@link ai.sara4j.djl.adapter.AdaptedModel}: PEFT's {@code PeftModel}, with its verbs: named adapters and the
 *       active one, {@code merge}/{@code unmerge}, {@code mergeAndUnload}, {@code unload}, a {@code disabled} scope,
 *       per-row adapters for inference, the trainable summary ({@link ai.sara4j.djl.adapter.TrainableSummary}),
 *       saving and PEFT export;</li>
 *   <li>{@link ai.sara4j.djl.adapter.AdaptedLinear}, the block put in place of each target Linear (PEFT's
 *       {@code lora.Linear}: the Linear as child {@code base_layer}, one
 *       {@link ai.sara4j.djl.adapter.AdapterLayer} per named adapter), and the check that every adapter was reached
 *       by the forward pass ({@link ai.sara4j.djl.adapter.AdapterReachListener} for DJL's own trainer);</li>
 *   <li>{@link ai.sara4j.djl.adapter.MergedCheckpointWriter}: a Hugging Face checkpoint folder with the adapter
 *       folded into its weights;</li>
 *   <li>the method plug-in point: {@link ai.sara4j.djl.adapter.AdapterMethod} with its
 *       {@link ai.sara4j.djl.adapter.AdapterConfig}, {@link ai.sara4j.djl.adapter.AdapterLayer} and
 *       {@link ai.sara4j.djl.adapter.LayerInit}, registered in {@link ai.sara4j.djl.adapter.AdapterMethods} and
 *       configured from {@link ai.sara4j.djl.adapter.AdapterOptions} (range checks in
 *       {@link ai.sara4j.djl.adapter.OptionChecks}).</li>
 * </ul>
 *
 * Each method (LoRA, SARA, Mo-SARA, SoRA, EDoRA) lives in its own sub-package.
 */
package ai.sara4j.djl.adapter;
