package ai.sara4j.core.peft;

import java.util.List;
import java.util.regex.Pattern;

/**
 * PEFT's {@code target_modules}: either a list of names, matching a module whose dotted name equals a name or ends
 * with {@code "." + name}, or one regex string that must match the whole dotted name.
 *
 * @param names the module names (empty when {@code regex} is set)
 * @param regex the full-match regex, or {@code null}
 */
public record Targets(List<String> names, String regex) {
    public Targets {
        names = List.copyOf(names);
    }

    public static Targets names(List<String> names) {
        return new Targets(names, null);
    }

    public static Targets names(String... names) {
        return new Targets(List.of(names), null);
    }

    public static Targets regex(String regex) {
        Pattern.compile(regex);
        return new Targets(List.of(), regex);
    }

    /** Whether the module at dotted path {@code module} is a target. */
    public boolean matches(String module) {
        if (regex != null) {
            return Pattern.matches(regex, module);
        }
        for (String name : names) {
            if (module.equals(name) || module.endsWith("." + name)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return regex != null ? regex : names.toString();
    }
}
