package ai.sara4j.examples;

import ai.sara4j.djl.model.GenerationOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./sara generate}: continue a prompt, greedily or by seeded temperature/top-p sampling. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Print the model's continuation of a prompt (key/value cache, stops at end-of-sequence).")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--prompt", required = true, description = "Text to continue.")
    String prompt;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "At most this many new tokens (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default); otherwise sample at this temperature.")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling threshold in (0, 1] (default ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        NumericOptions.atLeast("--max-new-tokens", maxNewTokens, 0);
        NumericOptions.finiteNonNegative("--temperature", temperature);
        NumericOptions.share("--top-p", topP);
        GenerationOptions options = GenerationOptions.greedy(maxNewTokens).sampling(temperature, topP, seed);
        try (ModelOptions.Loaded loaded = model.load()) {
            System.out.println(loaded.lm().generate(prompt, options).text());
        }
        return 0;
    }
}
