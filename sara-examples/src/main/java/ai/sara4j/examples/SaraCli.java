package ai.sara4j.examples;

import ai.sara4j.djl.engine.EngineSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code ./sara} command line. */
@Command(
        name = "sara",
        mixinStandardHelpOptions = true,
        versionProvider = SaraCli.Version.class,
        description = "SVD-based adaptive low-rank adapters (SARA, Mo-SARA, LoRA, SoRA, EDoRA) for LLMs on DJL.",
        subcommands = {DemoCommand.class, PlanCommand.class, FinetuneCommand.class, EvalCommand.class, LogitsCommand.class,
            GenerateCommand.class, MergeCommand.class, ExportCommand.class, RoutesCommand.class, RecipesCommand.class,
            BenchCommand.class})
public final class SaraCli {
    private static final Logger LOG = LoggerFactory.getLogger(SaraCli.class);

    @Option(names = "--stacktrace", description = "Print the full stack trace of an error.", scope = CommandLine.ScopeType.INHERIT)
    boolean stacktrace;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    public static int run(String... args) {
        EngineSettings.applyDefaults();
        CommandLine cli = new CommandLine(new SaraCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            SaraCli top = commandLine.getCommandSpec().root().userObject() instanceof SaraCli s ? s : null;
            if (top != null && top.stacktrace) {
                ex.printStackTrace();
            } else {
                LOG.debug("command failed", ex);
            }
            commandLine.getErr().println("sara: " + oneLine(ex));
            return 1;
        });
        return cli.execute(args);
    }

    /** The message a user needs, on one line: known input errors without the exception type. */
    static String oneLine(Throwable ex) {
        Throwable t = ex;
        while ((t instanceof UncheckedIOException || t.getClass() == RuntimeException.class) && t.getCause() != null) {
            t = t.getCause();
        }
        String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (!(t instanceof IOException || t instanceof IllegalArgumentException || t instanceof IllegalStateException)) {
            msg = t.getClass().getSimpleName() + ": " + msg;
        }
        return msg.replace('\n', ' ');
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SaraCli.class.getPackage().getImplementationVersion();
            return new String[] {"sara4j " + (v == null ? "dev" : v)};
        }
    }
}
