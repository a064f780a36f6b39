package ai.sara4j.core.metrics;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answer extraction and scoring of the LLM-Adapters evaluation scripts, ported from {@code evaluate.py} (math) and
 * {@code commonsense_evaluate.py} (choice) and checked against their functions on generated outputs.
 *
 * <ul>
 *   <li>{@link #number()}: {@code extract_answer_number}: commas removed, the last match of {@code -?\d+\.?\d*}
 *       (Unicode digits included, as in Python) read as a float, +∞ when there is none; correct when
 *       {@code |float(reference) − prediction| ≤ 0.001}.
 *   <li>{@link #letter()}: {@code extract_answer_letter} (AQuA): the first capital A–E anywhere in the output (so
 *       "A" in "Answer" counts, as in LLM-Adapters), empty when there is none; correct when equal to the reference.
 *   <li>{@link #choice(Choice)}: {@code extract_answer}: the first answer word of the dataset's family, case-sensitive;
 *       correct when equal to the reference.
 * </ul>
 */
public final class AnswerScorer {
    /** evaluate.py's {@code miss}: the tolerance of a numeric answer. */
    public static final double NUMBER_TOLERANCE = 0.001;

    private static final Pattern NUMBER = Pattern.compile("-?\\d+\\.?\\d*", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern LETTER = Pattern.compile("A|B|C|D|E");

    /** The answer-word families of commonsense_evaluate.py, one per dataset. */
    public enum Choice {
        /** boolq. */
        TRUE_FALSE("true|false"),
        /** piqa. */
        SOLUTION("solution1|solution2"),
        /** social_i_qa, ARC-Challenge, ARC-Easy, openbookqa. */
        ANSWER("answer1|answer2|answer3|answer4|answer5"),
        /** hellaswag. */
        ENDING("ending1|ending2|ending3|ending4"),
        /** winogrande. */
        OPTION("option1|option2");

        private final Pattern pattern;

        Choice(String regex) {
            this.pattern = Pattern.compile(regex);
        }

        /**
         * {@code extract_answer} for this family: the first answer word in the output (case-sensitive, anywhere in
         * the text).
         *
         * @param output the generated text
         * @return the first answer word of this family in {@code output}, or the empty string when there is none
         */
        public String extract(String output) {
            Matcher m = pattern.matcher(output);
            return m.find() ? m.group() : "";
        }

        /**
         * The family of an LLM-Adapters dataset name.
         *
         * @param dataset the dataset name as spelled in the LLM-Adapters repository ("boolq", "ARC-Easy", ...)
         * @return the family of its answer words, or null for a name that is not one of the eight commonsense sets
         */
        public static Choice forDataset(String dataset) {
            return switch (dataset) {
                case "boolq" -> TRUE_FALSE;
                case "piqa" -> SOLUTION;
                case "social_i_qa", "ARC-Challenge", "ARC-Easy", "openbookqa" -> ANSWER;
                case "hellaswag" -> ENDING;
                case "winogrande" -> OPTION;
                default -> null;
            };
        }

        /**
         * The family whose words include a reference answer, for data from a folder that is not named after an
         * LLM-Adapters dataset.
         *
         * @param reference a reference answer such as "solution2"
         * @return the family whose words include {@code reference} exactly, or null when none does
         */
        public static Choice forAnswer(String reference) {
            for (Choice c : values()) {
                if (c.pattern.matcher(reference).matches()) {
                    return c;
                }
            }
            return null;
        }
    }

    private final String name;
    private final Extractor extractor;
    private final boolean numeric;

    @FunctionalInterface
    private interface Extractor {
        String extract(String output);
    }

    private AnswerScorer(String name, Extractor extractor, boolean numeric) {
        this.name = name;
        this.extractor = extractor;
        this.numeric = numeric;
    }

    /**
     * The scorer of numeric answers (AddSub, MultiArith, SingleEq, gsm8k, SVAMP).
     *
     * @return a scorer that extracts the last number and compares within {@link #NUMBER_TOLERANCE}
     */
    public static AnswerScorer number() {
        return new AnswerScorer("number", output -> format(extractNumber(output)), true);
    }

    /**
     * The scorer of option letters (AQuA).
     *
     * @return a scorer that extracts the first capital A–E and compares it exactly
     */
    public static AnswerScorer letter() {
        return new AnswerScorer("letter", AnswerScorer::extractLetter, false);
    }

    /**
     * The scorer of a commonsense dataset's answer words.
     *
     * @param choice the answer-word family of the dataset
     * @return a scorer that extracts the first word of {@code choice} and compares it exactly
     */
    public static AnswerScorer choice(Choice choice) {
        return new AnswerScorer(choice.name().toLowerCase(Locale.ROOT), choice::extract, false);
    }

    /**
     * The math scorer for a dataset: letters for AQuA (by name, or when every reference is a letter A–E), numbers
     * otherwise.
     *
     * @param dataset the dataset name (compared case-insensitively with "aqua")
     * @param references the reference answers of the dataset, used when the name does not say AQuA
     * @return {@link #letter()} for AQuA-like data, {@link #number()} otherwise
     */
    public static AnswerScorer forMath(String dataset, List<String> references) {
        boolean letters = "aqua".equalsIgnoreCase(dataset)
                || (!references.isEmpty() && references.stream().allMatch(r -> r.strip().matches("[A-E]")));
        return letters ? letter() : number();
    }

    /**
     * The commonsense scorer for a dataset: by its LLM-Adapters name, else by the family of the references.
     *
     * @param dataset the dataset name as spelled in LLM-Adapters, or any name when the references decide
     * @param references the reference answers, all of which must belong to one family when the name is unknown
     * @return the {@link #choice(Choice)} scorer of the dataset's family
     * @throws IllegalArgumentException when neither identifies one family
     */
    public static AnswerScorer forChoice(String dataset, List<String> references) {
        Choice byName = Choice.forDataset(dataset);
        if (byName != null) {
            return choice(byName);
        }
        Choice first = references.isEmpty() ? null : Choice.forAnswer(references.get(0));
        for (String r : references) {
            if (first == null || Choice.forAnswer(r) != first) {
                throw new IllegalArgumentException("cannot tell the answer words of dataset '" + dataset
                        + "': reference '" + r + "' is not one of true/false, solution1-2, answer1-5, ending1-4,"
                        + " option1-2 (or the references mix families)");
            }
        }
        return choice(first);
    }

    /**
     * The scorer's name, as written in evaluation reports.
     *
     * @return what the scorer extracts: "number", "letter" or the lower-case choice family (e.g. "true_false")
     */
    public String name() {
        return name;
    }

    /**
     * The prediction extracted from a generated output.
     *
     * @param output the generated text
     * @return the extracted answer: for numbers Java's text of the double (or "inf" when there is none), for
     *     letters and choices the matched text or the empty string
     */
    public String extract(String output) {
        return extractor.extract(output);
    }

    /**
     * Whether a generated output answers correctly.
     *
     * @param output the generated text
     * @param reference the reference answer
     * @return whether the extracted answer equals {@code reference} (numbers: within {@link #NUMBER_TOLERANCE})
     * @throws IllegalArgumentException for the numeric scorer when {@code reference} is not a number
     */
    public boolean isCorrect(String output, String reference) {
        if (numeric) {
            return numberMatches(reference, extractNumber(output));
        }
        return Objects.equals(reference, extract(output));
    }

    /**
     * {@code extract_answer_number}: the last number of the output, commas removed.
     *
     * @param output the generated text
     * @return the last match of {@code -?\d+\.?\d*} (Unicode digits read as in Python's {@code float}), or
     *     {@link Double#POSITIVE_INFINITY} when the output holds no number
     */
    public static double extractNumber(String output) {
        Matcher m = NUMBER.matcher(output.replace(",", ""));
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        return last == null ? Double.POSITIVE_INFINITY : Double.parseDouble(asciiDigits(last));
    }

    /**
     * evaluate.py's test {@code abs(float(label) - predict) <= miss}.
     *
     * @param reference the reference answer, a decimal number (surrounding whitespace allowed)
     * @param predicted the extracted prediction, e.g. from {@link #extractNumber(String)}
     * @return whether the two differ by at most {@link #NUMBER_TOLERANCE}
     * @throws IllegalArgumentException when {@code reference} is not a number
     */
    public static boolean numberMatches(String reference, double predicted) {
        double label;
        try {
            label = Double.parseDouble(reference.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("reference answer '" + reference + "' is not a number", e);
        }
        return Math.abs(label - predicted) <= NUMBER_TOLERANCE;
    }

    /**
     * {@code extract_answer_letter}: the first capital A–E anywhere in the output.
     *
     * @param output the generated text
     * @return the first of "A" to "E" in {@code output}, or the empty string when there is none
     */
    public static String extractLetter(String output) {
        Matcher m = LETTER.matcher(output);
        return m.find() ? m.group() : "";
    }

    /** Python's float() reads any Unicode decimal digit; Double.parseDouble only ASCII ones. */
    private static String asciiDigits(String number) {
        StringBuilder s = new StringBuilder(number.length());
        number.codePoints().forEach(cp -> s.append(Character.isDigit(cp) ? (char) ('0' + Character.digit(cp, 10)) : (char) cp));
        return s.toString();
    }

    private static String format(double number) {
        return Double.isInfinite(number) ? "inf" : Double.toString(number);
    }
}
