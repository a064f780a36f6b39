/**
 * Crash-safe file output. {@link ai.sara4j.core.io.AtomicFiles} writes every file and folder SARA4J produces
 * (adapters, checkpoints, merged models, reports) to a hidden temporary sibling first and renames it into place, so a
 * reader never sees a half-written result and an interrupted write leaves the previous version intact; it also
 * deletes by renaming aside first and clears the leftovers an interrupted write left.
 * {@link ai.sara4j.core.io.OutputFolder} is the rule for where a command may write: a new or empty folder, an
 * earlier output of the same kind (recognised by its marker file), or, with {@code --overwrite}, anything but an
 * input; otherwise it throws {@link ai.sara4j.core.io.OutputRefusedException} naming the path and the reason.
 */
package ai.sara4j.core.io;
