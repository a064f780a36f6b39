/**
 * EDoRA: weight-decomposed adaptation with frozen SVD factors of the pretrained weight and a small trainable
 * r × r matrix between them, plus a trainable magnitude per output row; it exports as a PEFT DoRA adapter.
 */
package ai.sara4j.djl.adapter.edora;
