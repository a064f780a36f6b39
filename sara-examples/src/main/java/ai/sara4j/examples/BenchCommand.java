package ai.sara4j.examples;

import picocli.CommandLine.Command;

/** {@code ./sara bench}: speed and memory measurements, printed as JSON. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks (JSON output): engine SVD, training step; random checkpoints to load.",
        subcommands = {BenchSvdCommand.class, BenchTrainCommand.class, BenchCheckpointCommand.class})
final class BenchCommand {}
