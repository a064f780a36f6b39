/**
 * The method-independent adapter wiring: injecting adapter layers into a model's target modules, freezing the
 * base, merging and unmerging, saving and loading adapter folders (SARA4J's own or plain PEFT LoRA), PEFT export
 * and writing a merged checkpoint. Each method (LoRA, SARA, Mo-SARA, SoRA, EDoRA) lives in its own sub-package and
 * plugs in through {@link ai.sara4j.djl.adapter.AdapterMethod}.
 */
package ai.sara4j.djl.adapter;
