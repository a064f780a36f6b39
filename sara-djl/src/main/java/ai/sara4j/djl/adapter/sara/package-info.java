/**
 * SARA: the adapter of the SARA paper, whose per-module rank comes from the singular values of the pretrained weight
 * (the rank rule) and whose update U·diag(λ)·V starts from those singular vectors.
 */
package ai.sara4j.djl.adapter.sara;
