package ai.sara4j.djl.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of an evaluation run.
 *
 * @param task what was evaluated
 * @param dataset the dataset's name (its folder for LLM-Adapters' {@code NAME/test.json}, else the file name)
 * @param scorer how answers were extracted ("number", "letter", a choice family, or "text" for E2E)
 * @param metrics accuracy and counts (math, choice) or BLEU and ROUGE-L on 0–100, NIST and CIDEr-D (its native 0–10
 *     scale) (E2E), in report order
 * @param predictions per-example results (math, choice), else empty
 * @param hypotheses one generated text per distinct meaning representation in order of first appearance (E2E), else
 *     empty
 */
public record EvalReport(EvalTask task, String dataset, String scorer, Map<String, Number> metrics,
        List<Prediction> predictions, List<String> hypotheses) {
    /**
     * Copies the collections into unmodifiable ones, keeping the metrics' order.
     *
     * @param task what was evaluated
     * @param dataset the dataset's name
     * @param scorer how answers were extracted
     * @param metrics the metrics, in report order
     * @param predictions per-example results (math, choice)
     * @param hypotheses generated texts (E2E)
     */
    public EvalReport {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        predictions = List.copyOf(predictions);
        hypotheses = List.copyOf(hypotheses);
    }

    /**
     * The report as JSON: {@code task}, {@code dataset}, {@code scorer}, {@code metrics}, and {@code predictions}
     * (math, choice) or {@code hypotheses} (E2E).
     *
     * @param mapper the Jackson mapper that creates the nodes
     * @return a new JSON object, as {@code ./sara eval} writes it
     */
    public ObjectNode toJson(ObjectMapper mapper) {
        ObjectNode root = mapper.createObjectNode();
        root.put("task", task.id());
        root.put("dataset", dataset);
        root.put("scorer", scorer);
        root.set("metrics", mapper.valueToTree(metrics));
        if (task == EvalTask.E2E) {
            ArrayNode texts = root.putArray("hypotheses");
            hypotheses.forEach(texts::add);
        } else {
            ArrayNode rows = root.putArray("predictions");
            for (Prediction p : predictions) {
                rows.add(mapper.valueToTree(p));
            }
        }
        return root;
    }
}
