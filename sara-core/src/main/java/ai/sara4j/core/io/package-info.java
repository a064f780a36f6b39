/**
 * Crash-safe file output: {@link ai.sara4j.core.io.AtomicFiles} writes every file and folder SARA4J produces
 * (adapters, checkpoints, reports) to a temporary sibling first and renames it into place, so a reader never sees a
 * half-written result and an interrupted write leaves the previous version intact.
 */
package ai.sara4j.core.io;
