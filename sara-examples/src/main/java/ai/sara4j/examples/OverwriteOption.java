package ai.sara4j.examples;

import picocli.CommandLine.Option;

/** {@code --overwrite}: let a command replace what is at its output folder (never one of its inputs). */
final class OverwriteOption {
    @Option(names = "--overwrite", description = "Replace what is at the output folder even when this command did "
            + "not write it (a folder of other files, another kind of output, a file); never an input.")
    boolean overwrite;
}
