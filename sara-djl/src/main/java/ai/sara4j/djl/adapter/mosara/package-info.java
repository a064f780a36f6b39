/**
 * Mo-SARA: the SARA paper's mixture variant, several trainable singular-value vectors over frozen singular vectors
 * of the pretrained weight, combined by a small router; it trains far fewer parameters than SARA and cannot be
 * merged into the weight.
 */
package ai.sara4j.djl.adapter.mosara;
