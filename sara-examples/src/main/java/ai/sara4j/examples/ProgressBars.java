package ai.sara4j.examples;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The commands' progress bars on stderr (stdout stays for results), one look for all long work. */
final class ProgressBars {
    private ProgressBars() {}

    /** A bar named {@code task} counting {@code unit}; its maximum is set once known ({@code maxHint}). */
    static ProgressBar create(String task, String unit) {
        return new ProgressBarBuilder().setTaskName(task).setStyle(ProgressBarStyle.ASCII).setInitialMax(1)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUnit(" " + unit, 1).build();
    }
}
