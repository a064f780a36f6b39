/**
 * LoRA (Hu et al., 2021) as in Hugging Face PEFT: a trainable low-rank update B·A scaled by alpha/r (or
 * alpha/√r with rsLoRA), with B initialised to zero; it also reads every plain PEFT LoRA folder.
 */
package ai.sara4j.djl.adapter.lora;
