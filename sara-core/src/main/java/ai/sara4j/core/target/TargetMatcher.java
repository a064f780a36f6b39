package ai.sara4j.core.target;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which modules get an adapter, by Hugging Face PEFT's {@code target_modules} rule
 * ({@code peft.tuners.tuners_utils.check_target_module_exists}):
 *
 * <ul>
 *   <li>a <b>list of names</b> matches a module whose full dotted name equals one of the names or ends with
 *       {@code "." + name}: {@code q_proj} matches {@code model.layers.0.self_attn.q_proj} but not
 *       {@code model.layers.0.self_attn.xq_proj};
 *   <li>a <b>single string</b> is a regular expression that must match the <em>whole</em> module name
 *       (Python's {@code re.fullmatch}, here {@link java.util.regex.Matcher#matches()}). The pattern is compiled by
 *       {@link Pattern}, whose syntax agrees with Python's for the usual forms ({@code .*}, {@code (q|v)},
 *       {@code \d+}, classes); Python-only forms such as {@code (?P<name>…)} are rejected as bad regexes.
 * </ul>
 *
 * <p>On the command line ({@link #parse}) a value starting with {@value #REGEX_PREFIX} is a regex, anything else a
 * comma-separated list.
 */
public final class TargetMatcher {
    /** Marks a command-line value as a regex: {@code re:.*\.(q|v)_proj}. */
    public static final String REGEX_PREFIX = "re:";

    private final List<String> names;
    private final Pattern regex;

    private TargetMatcher(List<String> names, Pattern regex) {
        this.names = names;
        this.regex = regex;
    }

    /** PEFT's list rule: full name equals a name, or ends with {@code "." + name}. */
    public static TargetMatcher names(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("target modules: the list is empty");
        }
        for (String n : names) {
            if (n == null || n.isBlank()) {
                throw new IllegalArgumentException("target modules: empty name in " + names);
            }
        }
        return new TargetMatcher(List.copyOf(names), null);
    }

    /** PEFT's list rule for the given names. */
    public static TargetMatcher names(String... names) {
        return names(Arrays.asList(names));
    }

    /** PEFT's string rule: the regex must match the whole module name. */
    public static TargetMatcher regex(String regex) {
        try {
            return new TargetMatcher(null, Pattern.compile(regex));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("target modules: bad regex '" + regex + "': " + e.getDescription(), e);
        }
    }

    /**
     * Parses a command-line value: {@code re:<regex>} is a regex, otherwise a comma-separated list of names
     * (blanks around names are ignored).
     */
    public static TargetMatcher parse(String value) {
        Objects.requireNonNull(value, "target modules");
        if (value.startsWith(REGEX_PREFIX)) {
            return regex(value.substring(REGEX_PREFIX.length()));
        }
        return names(Arrays.stream(value.split(",", -1)).map(String::trim).toList());
    }

    /** Whether the module with this full dotted name is a target. */
    public boolean matches(String module) {
        if (regex != null) {
            return regex.matcher(module).matches();
        }
        for (String n : names) {
            if (module.equals(n) || module.endsWith("." + n)) {
                return true;
            }
        }
        return false;
    }

    /** Whether this is the regex form. */
    public boolean isRegex() {
        return regex != null;
    }

    /**
     * The value of PEFT's {@code target_modules}: the regex string, or the list of names.
     *
     * @return a {@code String} for the regex form, a {@code List<String>} for the list form
     */
    public Object peftValue() {
        return regex != null ? regex.pattern() : names;
    }

    /** The command-line form that {@link #parse} reads back. */
    @Override
    public String toString() {
        return regex != null ? REGEX_PREFIX + regex.pattern() : String.join(",", names);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TargetMatcher t && toString().equals(t.toString()) && isRegex() == t.isRegex();
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
