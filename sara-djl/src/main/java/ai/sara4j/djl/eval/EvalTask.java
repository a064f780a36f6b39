package ai.sara4j.djl.eval;

import java.util.Locale;

/** The kinds of evaluation of the SARA paper, each with its data layout, decoding budget and metric. */
public enum EvalTask {
    /** LLM-Adapters math sets: a number (or AQuA's letter) extracted from the response; accuracy. */
    MATH(256),
    /** LLM-Adapters commonsense sets: the dataset's answer word extracted from the response; accuracy. */
    CHOICE(32),
    /** E2E NLG: one text per distinct meaning representation; corpus BLEU and ROUGE-L. */
    E2E(64);

    private final int defaultMaxNewTokens;

    EvalTask(int defaultMaxNewTokens) {
        this.defaultMaxNewTokens = defaultMaxNewTokens;
    }

    /**
     * The generation budget when none is given: LLM-Adapters' {@code max_new_tokens} (256 in evaluate.py, 32 in
     * commonsense_evaluate.py); 64 for E2E, whose references are under 60 tokens.
     *
     * @return the default number of new tokens per prompt
     */
    public int defaultMaxNewTokens() {
        return defaultMaxNewTokens;
    }

    /**
     * The name used on the command line and in reports.
     *
     * @return {@code math}, {@code choice} or {@code e2e}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The task named on a command line.
     *
     * @param name {@code math}, {@code choice} or {@code e2e}, any case
     * @return the task
     * @throws IllegalArgumentException for any other name
     */
    public static EvalTask parse(String name) {
        for (EvalTask t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown task '" + name + "' (expected math, choice or e2e)");
    }
}
