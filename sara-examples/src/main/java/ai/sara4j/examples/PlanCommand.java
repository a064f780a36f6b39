package ai.sara4j.examples;

import ai.djl.ndarray.types.DataType;
import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.core.rank.BudgetMatcher;
import ai.sara4j.core.rank.Method;
import ai.sara4j.core.rank.RankPlan;
import ai.sara4j.core.rank.RankPlanner;
import ai.sara4j.core.rank.Spectrum;
import ai.sara4j.core.safetensors.Checkpoint;
import ai.sara4j.djl.svd.EngineSingularValues;
import ai.sara4j.djl.svd.EngineSvd;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./sara plan}: the rank of every target module of a checkpoint under a method, and its parameter cost. */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Rank plan of a Hugging Face checkpoint: k per target module (SARA's rule on the singular"
                + " values, or a fixed r), trainable parameters, totals.")
final class PlanCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Checkpoint folder (config.json + safetensors).")
    Path model;

    @Option(names = "--method", defaultValue = "sara", description = "sara, mosara, lora, sora or edora (default ${DEFAULT-VALUE}).")
    String method;

    @ArgGroup(exclusive = true)
    RankChoice rank = new RankChoice();

    static final class RankChoice {
        @Option(names = "--threshold", split = ",", paramLabel = "T[,T...]",
                description = "SARA/Mo-SARA: share of the singular-value sum that k must reach, in (0, 1]; a"
                        + " comma-separated list plans each threshold from one SVD.")
        List<Double> thresholds;

        @Option(names = "--match-lora-r", description = "SARA/Mo-SARA: pick the threshold whose trainable count is closest to LoRA with this r on the same targets.")
        Integer matchLoraR;

        @Option(names = "--r", description = "LoRA/SoRA/EDoRA rank (default 8).")
        Integer r;
    }

    @Option(names = "--heads", defaultValue = "5", description = "Mo-SARA: number m of singular-value vectors (default ${DEFAULT-VALUE}).")
    int heads;

    @Mixin
    TargetOptions targets;

    @Option(names = "--json", description = "Print the plan as JSON (several thresholds: an array of plans, in the"
            + " order given).")
    boolean json;

    @Option(names = "--chart", description = "Draw k per layer, one line per target kind (several thresholds: one"
            + " panel per target kind, one line per threshold) (.png or .svg; replaces an earlier file, never an"
            + " input).")
    Path chart;

    @Mixin
    DeviceOption device;

    @Option(names = "--svd-precision", defaultValue = "fp64",
            description = "fp64 (reproduces a float64 SVD exactly) or fp32 (faster on GPUs) (default ${DEFAULT-VALUE}).")
    String svdPrecision;

    @Option(names = "--svd-algorithm", defaultValue = "svd", description = "svd or gram (default ${DEFAULT-VALUE}).")
    String svdAlgorithm;

    @Override
    public Integer call() throws Exception {
        Method m = Method.parse(method);
        if (rank.thresholds != null) {
            checkThresholds(rank.thresholds);
        }
        if (rank.matchLoraR != null) {
            NumericOptions.atLeast("--match-lora-r", rank.matchLoraR, 1);
        }
        if (rank.r != null) {
            NumericOptions.atLeast("--r", rank.r, 1);
        }
        NumericOptions.atLeast("--heads", heads, 1);
        if (chart != null) {
            OutputFolder.of("plan-chart", "./sara plan").withOption("--chart").withInput("--model", model)
                    .checkFile(chart);
        }
        try (Checkpoint checkpoint = Checkpoint.open(model)) {
            RankPlanner planner = RankPlanner.of(checkpoint, targets.matcher(),
                    CheckpointLayouts.storedInByOut(model));
            List<RankPlan> plans = plans(m, planner);
            if (json) {
                System.out.println(plans.size() == 1 ? plans.get(0).toJson()
                        : plans.stream().map(RankPlan::toJson).collect(Collectors.joining(",", "[", "]")));
            } else {
                System.out.println(plans.stream().map(RankPlan::toTable)
                        .collect(Collectors.joining(System.lineSeparator())));
            }
            if (chart != null) {
                if (plans.size() == 1) {
                    drawChart(plans.get(0), chart);
                } else {
                    drawThresholdChart(plans, chart);
                }
                if (!json) {
                    System.out.println("chart: " + chart.toAbsolutePath());
                }
            }
        }
        return 0;
    }

    /**
     * Refuses an empty list, an entry outside (0, 1] (NaN and infinities included) or an entry given twice,
     * naming the entry.
     */
    static void checkThresholds(List<Double> thresholds) {
        if (thresholds.isEmpty()) {
            throw new IllegalArgumentException("--threshold needs at least one value");
        }
        Set<Double> seen = new HashSet<>();
        for (double t : thresholds) {
            NumericOptions.share("--threshold", t);
            if (!seen.add(t)) {
                throw new IllegalArgumentException("--threshold lists " + t + " twice");
            }
        }
    }

    /** One plan, or one per listed threshold with the singular values computed once for all of them. */
    private List<RankPlan> plans(Method m, RankPlanner planner) throws Exception {
        if (!m.usesThreshold()) {
            if (rank.thresholds != null || rank.matchLoraR != null) {
                throw new IllegalArgumentException("--threshold and --match-lora-r apply to sara and mosara; "
                        + m.cliName() + " takes --r");
            }
            return List.of(planner.fixedRank(m, rank.r == null ? 8 : rank.r));
        }
        if (rank.r != null) {
            throw new IllegalArgumentException("--r applies to lora, sora and edora; " + m.cliName()
                    + " takes --threshold or --match-lora-r");
        }
        if (rank.thresholds == null && rank.matchLoraR == null) {
            throw new IllegalArgumentException(m.cliName() + " needs --threshold T or --match-lora-r R");
        }
        Map<String, Spectrum> spectra = planner.spectra(singularValues());
        if (rank.thresholds != null) {
            return rank.thresholds.stream().map(t -> planner.byThreshold(m, t, heads, spectra)).toList();
        }
        long budget = planner.fixedRank(Method.LORA, rank.matchLoraR).trainable();
        return List.of(BudgetMatcher.match(planner, m, heads, spectra, budget).plan());
    }

    private EngineSingularValues singularValues() {
        return new EngineSingularValues(device.device(),
                Engines.floatType("--svd-precision", svdPrecision, DataType.FLOAT64, DataType.FLOAT32),
                EngineSvd.Algorithm.parse("--svd-algorithm", svdAlgorithm), 1L << 30);
    }

    /** k per layer, one line per target kind, like the SARA paper's Figure 2. */
    static void drawChart(RankPlan plan, Path out) throws java.io.IOException {
        Map<String, Charts.Series> series = new LinkedHashMap<>();
        for (Map.Entry<String, SortedMap<Integer, Integer>> kind : plan.ranksByKind().entrySet()) {
            double[] x = kind.getValue().keySet().stream().mapToDouble(Integer::doubleValue).toArray();
            double[] y = kind.getValue().values().stream().mapToDouble(Integer::doubleValue).toArray();
            series.put(kind.getKey(), new Charts.Series(x, y));
        }
        if (series.isEmpty()) {
            throw new IllegalArgumentException("--chart: no target module has a layer index to plot");
        }
        String title = plan.method().cliName() + (plan.threshold() != null ? " threshold " + plan.threshold() : " r " + plan.r());
        Charts.lines(out, "Rank per layer (" + title + ")", "layer", "rank k", series);
    }

    /** k per layer for several thresholds: one panel per target kind, one line per threshold. */
    static void drawThresholdChart(List<RankPlan> plans, Path out) throws java.io.IOException {
        Map<String, Map<String, Charts.Series>> panels = new LinkedHashMap<>();
        for (RankPlan plan : plans) {
            for (Map.Entry<String, SortedMap<Integer, Integer>> kind : plan.ranksByKind().entrySet()) {
                double[] x = kind.getValue().keySet().stream().mapToDouble(Integer::doubleValue).toArray();
                double[] y = kind.getValue().values().stream().mapToDouble(Integer::doubleValue).toArray();
                panels.computeIfAbsent(kind.getKey() + " (" + plan.method().cliName() + ")",
                        k -> new LinkedHashMap<>()).put("threshold " + plan.threshold(), new Charts.Series(x, y));
            }
        }
        if (panels.isEmpty()) {
            throw new IllegalArgumentException("--chart: no target module has a layer index to plot");
        }
        Charts.grid(out, "layer", "rank k", panels);
    }
}
