/**
 * Mo-SARA: the SARA paper's mixture variant, several trainable singular-value vectors over frozen singular vectors
 * of the pretrained weight, combined by a small router; it trains far fewer parameters than SARA and cannot be
 * merged into the weight. {@link ai.sara4j.djl.adapter.mosara.GateRecorder} records what the routers do (the paper's
 * routing maps) into {@link ai.sara4j.djl.adapter.mosara.GateStatistics}.
 */
package ai.sara4j.djl.adapter.mosara;
