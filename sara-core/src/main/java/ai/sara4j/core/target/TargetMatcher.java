package ai.sara4j.core.target;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which modules get an adapter, by Hugging Face PEFT's rules ({@code peft.tuners.tuners_utils
 * .check_target_module_exists}, PEFT 0.21) for {@code target_modules}, {@code exclude_modules},
 * {@code layers_to_transform} and {@code layers_pattern}. A module is a target when it is not excluded and
 * {@code target_modules} accepts it:
 *
 * <ul>
 *   <li>{@code target_modules} as a <b>list of names</b> matches a module whose full dotted name equals one of the
 *       names or ends with {@code "." + name}: {@code q_proj} matches {@code model.layers.0.self_attn.q_proj} but not
 *       {@code model.layers.0.self_attn.xq_proj};
 *   <li>{@code target_modules} as a <b>single string</b> is a regular expression that must match the <em>whole</em>
 *       module name (Python's {@code re.fullmatch}, here {@link Matcher#matches()}). Patterns are compiled by
 *       {@link Pattern}, whose syntax agrees with Python's for the usual forms ({@code .*}, {@code (q|v)},
 *       {@code \d+}, classes); Python-only forms such as {@code (?P<name>…)} are rejected as bad regexes;
 *   <li>{@code exclude_modules} takes the same two forms (list: equal or ends with {@code "." + name}; string:
 *       full-match regex) and wins over {@code target_modules};
 *   <li>{@code layers_to_transform} (layer indices) keeps, of the modules a <em>list</em> matched by suffix, those
 *       whose layer index is listed. The index is the number after the first {@code "." + segment + "."} of the name
 *       (PEFT's {@code .*?\.[^.]*\.(\d+)\.}, so {@code model.layers.1.experts.0.q_proj} is layer 1), or, with
 *       {@code layers_pattern}, after the first segment equal to one of the patterns
 *       ({@code (?:^|.*?\.)PATTERN\.(\d+)\.}); a module without an index is not a target. A module whose full name
 *       is in the list is a target whatever its layer (PEFT checks the exact name first), and the layer rule
 *       cannot be combined with a regex {@code target_modules} (PEFT's {@code LoraConfig} refuses it).
 * </ul>
 *
 * <p>{@code target_modules} may also be PEFT's shorthand {@value #ALL_LINEAR}: every linear module but the output
 * layer. Which modules those are only the model knows, so such a matcher is {@link #resolveAllLinear resolved}
 * against the model's linear modules before it selects anything, as PEFT replaces the shorthand by their full names
 * (and, like a regex, it takes no {@code layers_to_transform}).
 *
 * <p>On the command line ({@link #parse}, {@link #withExclude(String)}) a value starting with {@value #REGEX_PREFIX}
 * is a regex, {@value #ALL_LINEAR} the shorthand, anything else a comma-separated list. Instances are immutable;
 * {@link #equals} compares every rule.
 */
public final class TargetMatcher {
    /** Marks a command-line value as a regex: {@code re:.*\.(q|v)_proj}. */
    public static final String REGEX_PREFIX = "re:";
    /** PEFT's {@code target_modules} shorthand for every linear module but the output layer (case-insensitive). */
    public static final String ALL_LINEAR = "all-linear";
    /**
     * The output layers of the causal LMs SARA4J loads ({@code lm_head}, GPT-NeoX's {@code embed_out}), which
     * {@value #ALL_LINEAR} leaves out as PEFT does.
     */
    public static final Set<String> OUTPUT_LAYERS = Set.of("lm_head", "embed_out");

    private static final Logger LOG = LoggerFactory.getLogger(TargetMatcher.class);
    /** PEFT's layer index when no layers_pattern is given: the number after the first "<segment>." of the name. */
    private static final Pattern DEFAULT_LAYER_INDEX = Pattern.compile(".*?\\.[^.]*\\.(?<idx>\\d+)\\.");

    private final NameRule targets;
    /** Null when nothing is excluded. */
    private final NameRule exclude;
    /** Empty: every layer. */
    private final List<Integer> layers;
    /** Empty: PEFT's default index regex. */
    private final List<String> layersPattern;
    /** One index regex per layers_pattern entry, or the default one. */
    private final List<Pattern> layerIndex;

    private TargetMatcher(NameRule targets, NameRule exclude, List<Integer> layers, List<String> layersPattern) {
        this.targets = targets;
        this.exclude = exclude;
        this.layers = List.copyOf(layers);
        this.layersPattern = List.copyOf(layersPattern);
        String stringTargets = targets == NameRule.ALL_LINEAR ? ALL_LINEAR
                : targets.regex != null ? "a regex (" + targets.regex.pattern() + ")" : null;
        if (stringTargets != null && !layers.isEmpty()) {
            throw new IllegalArgumentException("layers_to_transform " + layers
                    + " cannot be used when target_modules is " + stringTargets + ", as in PEFT");
        }
        if (stringTargets != null && !layersPattern.isEmpty()) {
            throw new IllegalArgumentException("layers_pattern " + layersPattern
                    + " cannot be used when target_modules is " + stringTargets + ", as in PEFT");
        }
        if (layers.isEmpty() && !layersPattern.isEmpty()) {
            throw new IllegalArgumentException("layers_pattern " + layersPattern
                    + " needs layers_to_transform (the layer indices to adapt)");
        }
        this.layerIndex = layersPattern.isEmpty() ? List.of(DEFAULT_LAYER_INDEX)
                : layersPattern.stream().map(TargetMatcher::layerIndexPattern).toList();
    }

    /**
     * PEFT's list rule: a module is a target when its full name equals a name or ends with {@code "." + name}.
     *
     * @param names the module names or name suffixes, e.g. {@code q_proj}, {@code v_proj}
     * @return a matcher with no exclusion and every layer
     * @throws IllegalArgumentException when the list is empty or holds a blank name
     */
    public static TargetMatcher names(List<String> names) {
        return new TargetMatcher(NameRule.names("target modules", names), null, List.of(), List.of());
    }

    /**
     * PEFT's list rule for the given names; the same as {@link #names(List)}.
     *
     * @param names the module names or name suffixes
     * @return a matcher with no exclusion and every layer
     * @throws IllegalArgumentException when no name is given or one is blank
     */
    public static TargetMatcher names(String... names) {
        return names(Arrays.asList(names));
    }

    /**
     * PEFT's string rule: a module is a target when the regex matches its whole name.
     *
     * @param regex a {@link Pattern} regex, e.g. {@code .*\.(q|v)_proj}
     * @return a matcher with no exclusion
     * @throws IllegalArgumentException when {@code regex} does not compile
     */
    public static TargetMatcher regex(String regex) {
        return new TargetMatcher(NameRule.regex("target modules", regex), null, List.of(), List.of());
    }

    /**
     * PEFT's {@value #ALL_LINEAR}: every linear module but the output layer, once {@link #resolveAllLinear resolved}.
     *
     * @return an unresolved matcher; {@link #matches} refuses to answer until it is resolved
     */
    public static TargetMatcher allLinear() {
        return new TargetMatcher(NameRule.ALL_LINEAR, null, List.of(), List.of());
    }

    /**
     * Parses a command-line value: {@code re:<regex>} is a regex, {@value #ALL_LINEAR} the shorthand, otherwise a
     * comma-separated list of names (blanks around names are ignored).
     *
     * @param value the command-line value, e.g. {@code q_proj,v_proj} or {@code re:.*\.(q|v)_proj}
     * @return a matcher with no exclusion and every layer
     * @throws NullPointerException when {@code value} is null
     * @throws IllegalArgumentException for a bad regex, an empty list or an empty name
     */
    public static TargetMatcher parse(String value) {
        if (value != null && value.trim().equalsIgnoreCase(ALL_LINEAR)) {
            return allLinear();
        }
        return new TargetMatcher(NameRule.parse("target modules", value), null, List.of(), List.of());
    }

    /**
     * This matcher, excluding modules by PEFT's {@code exclude_modules} list rule (equal or ends with ".name").
     *
     * @param names the module names or name suffixes to exclude
     * @return a new matcher with the exclusion replaced
     * @throws IllegalArgumentException when the list is empty or holds a blank name
     */
    public TargetMatcher withExcludeNames(List<String> names) {
        return new TargetMatcher(targets, NameRule.names("exclude modules", names), layers, layersPattern);
    }

    /**
     * This matcher, excluding the modules whose whole name matches {@code regex} (PEFT's string form).
     *
     * @param regex a {@link Pattern} regex matched against the whole module name
     * @return a new matcher with the exclusion replaced
     * @throws IllegalArgumentException when {@code regex} does not compile
     */
    public TargetMatcher withExcludeRegex(String regex) {
        return new TargetMatcher(targets, NameRule.regex("exclude modules", regex), layers, layersPattern);
    }

    /**
     * This matcher, excluding what a command-line value names ({@code re:<regex>} or a comma-separated list).
     *
     * @param value the command-line value of {@code --exclude}
     * @return a new matcher with the exclusion replaced
     * @throws NullPointerException when {@code value} is null
     * @throws IllegalArgumentException for a bad regex, an empty list or an empty name
     */
    public TargetMatcher withExclude(String value) {
        return new TargetMatcher(targets, NameRule.parse("exclude modules", value), layers, layersPattern);
    }

    /**
     * This matcher, restricted to the given layer indices (PEFT's {@code layers_to_transform}).
     *
     * @param layers the layer indices; empty means every layer, as in PEFT
     * @param layersPattern the names of the module lists holding the layers (e.g. {@code layers}, {@code h}); empty
     *     means PEFT's default (the first numbered segment)
     * @return a new matcher with the layer rule replaced
     * @throws IllegalArgumentException for a negative index, a pattern without layers, a bad pattern regex, or a
     *     regex {@code target_modules}
     */
    public TargetMatcher withLayers(List<Integer> layers, List<String> layersPattern) {
        for (Integer layer : layers) {
            if (layer == null || layer < 0) {
                throw new IllegalArgumentException("layers_to_transform: bad layer index in " + layers);
            }
        }
        return new TargetMatcher(targets, exclude, layers, layersPattern);
    }

    /**
     * Whether {@code target_modules} is the {@value #ALL_LINEAR} shorthand, still to be
     * {@link #resolveAllLinear resolved}.
     *
     * @return true for a matcher made by {@link #allLinear()} (or parsed from {@value #ALL_LINEAR}) and not resolved
     */
    public boolean isAllLinear() {
        return targets == NameRule.ALL_LINEAR;
    }

    /**
     * For the {@value #ALL_LINEAR} shorthand, this matcher with {@code target_modules} replaced by the full names of
     * the model's linear modules other than its output layer, as PEFT does ({@code exclude_modules} still applies);
     * any other matcher unchanged.
     *
     * @param linearModules full names of the model's linear modules, the output layer left out
     * @return the resolved matcher, or this matcher when it is not the shorthand
     * @throws IllegalArgumentException when the shorthand meets an empty {@code linearModules}
     */
    public TargetMatcher resolveAllLinear(Collection<String> linearModules) {
        if (!isAllLinear()) {
            return this;
        }
        if (linearModules.isEmpty()) {
            throw new IllegalArgumentException("target modules " + ALL_LINEAR + ": the model has no linear module"
                    + " besides its output layer");
        }
        return new TargetMatcher(NameRule.names("target modules", List.copyOf(linearModules)), exclude, layers,
                layersPattern);
    }

    /**
     * Whether the module with this full dotted name is a target.
     *
     * @param module the module's full dotted name, e.g. {@code model.layers.0.self_attn.q_proj}
     * @return whether it is not excluded, {@code target_modules} accepts it, and it lies in the chosen layers
     * @throws IllegalStateException for an {@value #ALL_LINEAR} matcher not yet resolved against a model
     */
    public boolean matches(String module) {
        if (isAllLinear()) {
            throw new IllegalStateException("target modules " + ALL_LINEAR + " must be resolved against the model's"
                    + " linear modules first (resolveAllLinear)");
        }
        if (excludes(module)) {
            return false;
        }
        if (targets.contains(module)) {
            return true; // PEFT: a name listed in full skips the layer rule
        }
        return targets.matches(module) && inLayers(module);
    }

    /**
     * Whether {@code exclude_modules} rules this module out (before {@code target_modules} is looked at).
     *
     * @param module the module's full dotted name
     * @return whether an exclusion is set and matches {@code module}
     */
    public boolean excludes(String module) {
        return exclude != null && exclude.matches(module);
    }

    /**
     * The targets among {@code modules} (full dotted names), in their order, with the checks of PEFT's
     * {@code inject_adapter}: it is an error when none is a target (the message tells whether everything was
     * excluded, nothing matched, or both), and a warning when {@code exclude_modules} excluded nothing.
     *
     * @param modules the candidate modules' full dotted names
     * @param where names the model or checkpoint in messages
     * @return the targets, in the order of {@code modules}; never empty
     * @throws IllegalArgumentException when no module is a target
     * @throws IllegalStateException for an {@value #ALL_LINEAR} matcher not yet resolved
     */
    public List<String> select(Collection<String> modules, String where) {
        List<String> selected = new ArrayList<>();
        int excluded = 0;
        for (String module : modules) {
            if (excludes(module)) {
                excluded++;
            } else if (matches(module)) {
                selected.add(module);
            }
        }
        int unmatched = modules.size() - excluded - selected.size();
        if (selected.isEmpty()) {
            String layerNote = layers.isEmpty() ? "" : " (layers_to_transform " + layers
                    + (layersPattern.isEmpty() ? "" : ", layers_pattern " + layersPattern) + ")";
            if (excluded > 0 && unmatched == 0) {
                throw new IllegalArgumentException(where + ": exclude_modules " + exclude + " excludes every module;"
                        + " check target_modules and exclude_modules");
            } else if (excluded == 0) {
                throw new IllegalArgumentException(where + ": target_modules " + targets + layerNote
                        + " match no module");
            }
            throw new IllegalArgumentException(where + ": no module is targeted: target_modules " + targets
                    + layerNote + " match none of the modules that exclude_modules " + exclude + " leaves");
        }
        if (exclude != null && excluded == 0) {
            LOG.warn("{}: exclude_modules {} excluded no module; check its value", where, exclude);
        }
        return selected;
    }

    /**
     * Whether this is the regex form of {@code target_modules}.
     *
     * @return true when {@code target_modules} is one full-match regex rather than a list or the shorthand
     */
    public boolean isRegex() {
        return targets.regex != null;
    }

    /**
     * The value of PEFT's {@code target_modules}: the regex string, or the list of names.
     *
     * @return a {@code String} for the regex form, a {@code List<String>} for the list form
     */
    public Object peftValue() {
        return targets.peftValue();
    }

    /**
     * The value of PEFT's {@code exclude_modules}, for {@code adapter_config.json}.
     *
     * @return a regex {@code String}, a {@code List<String>} of names, or null when nothing is excluded
     */
    public Object excludePeftValue() {
        return exclude == null ? null : exclude.peftValue();
    }

    /**
     * PEFT's {@code layers_to_transform}.
     *
     * @return the layer indices to adapt (immutable); empty when every layer is adapted
     */
    public List<Integer> layersToTransform() {
        return layers;
    }

    /**
     * PEFT's {@code layers_pattern}.
     *
     * @return the names of the module lists holding the layers (immutable); empty for PEFT's default (the first
     *     numbered segment)
     */
    public List<String> layersPattern() {
        return layersPattern;
    }

    private boolean inLayers(String module) {
        if (layers.isEmpty()) {
            return true;
        }
        for (Pattern p : layerIndex) {
            Matcher m = p.matcher(module);
            if (m.lookingAt()) { // Python's re.match: anchored at the start only
                String index = m.group("idx");
                if (index == null) {
                    return false; // the pattern matched through an alternative without the index (PEFT: None)
                }
                try {
                    return layers.contains(Integer.parseInt(index));
                } catch (NumberFormatException tooLarge) {
                    return false;
                }
            }
        }
        return false;
    }

    private static Pattern layerIndexPattern(String layersPattern) {
        // inserted unescaped, as PEFT does: a pattern may itself be a regex
        String regex = "(?:^|.*?\\.)" + layersPattern + "\\.(?<idx>\\d+)\\.";
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("layers_pattern: bad regex '" + layersPattern + "': "
                    + e.getDescription(), e);
        }
    }

    /** The command-line form: the targets as {@link #parse} reads them, then the other rules as options. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder(targets.toString());
        if (exclude != null) {
            out.append(" --exclude ").append(exclude);
        }
        if (!layers.isEmpty()) {
            out.append(" --layers ").append(layers.stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        if (!layersPattern.isEmpty()) {
            out.append(" --layers-pattern ").append(String.join(",", layersPattern));
        }
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TargetMatcher t && targets.equals(t.targets) && Objects.equals(exclude, t.exclude)
                && layers.equals(t.layers) && layersPattern.equals(t.layersPattern);
    }

    @Override
    public int hashCode() {
        return Objects.hash(targets, exclude, layers, layersPattern);
    }

    /** PEFT's name rule shared by target_modules and exclude_modules: a list of names or one full-match regex. */
    private static final class NameRule {
        /** PEFT's {@value #ALL_LINEAR}: neither names nor a regex until resolved against a model. */
        static final NameRule ALL_LINEAR = new NameRule(null, null);

        private final List<String> names;
        private final Pattern regex;

        private NameRule(List<String> names, Pattern regex) {
            this.names = names;
            this.regex = regex;
        }

        static NameRule names(String option, List<String> names) {
            if (names.isEmpty()) {
                throw new IllegalArgumentException(option + ": the list is empty");
            }
            for (String n : names) {
                if (n == null || n.isBlank()) {
                    throw new IllegalArgumentException(option + ": empty name in " + names);
                }
            }
            return new NameRule(List.copyOf(names), null);
        }

        static NameRule regex(String option, String regex) {
            try {
                return new NameRule(null, Pattern.compile(regex));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(option + ": bad regex '" + regex + "': " + e.getDescription(), e);
            }
        }

        static NameRule parse(String option, String value) {
            Objects.requireNonNull(value, option);
            if (value.startsWith(REGEX_PREFIX)) {
                return regex(option, value.substring(REGEX_PREFIX.length()));
            }
            return names(option, Arrays.stream(value.split(",", -1)).map(String::trim).toList());
        }

        boolean matches(String module) {
            if (regex != null) {
                return regex.matcher(module).matches();
            }
            if (names == null) {
                return false;
            }
            for (String n : names) {
                if (module.equals(n) || module.endsWith("." + n)) {
                    return true;
                }
            }
            return false;
        }

        /** Whether the list names this module in full. */
        boolean contains(String module) {
            return names != null && names.contains(module);
        }

        Object peftValue() {
            return this == ALL_LINEAR ? TargetMatcher.ALL_LINEAR : regex != null ? regex.pattern() : names;
        }

        @Override
        public String toString() {
            return this == ALL_LINEAR ? TargetMatcher.ALL_LINEAR
                    : regex != null ? REGEX_PREFIX + regex.pattern() : String.join(",", names);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NameRule r && (this == ALL_LINEAR) == (r == ALL_LINEAR)
                    && (regex == null) == (r.regex == null) && toString().equals(r.toString());
        }

        @Override
        public int hashCode() {
            return toString().hashCode();
        }
    }
}
