package ai.sara4j.djl.eval;

import ai.sara4j.core.data.AlpacaRecord;
import ai.sara4j.core.data.DatasetException;
import ai.sara4j.core.data.E2eData;
import ai.sara4j.core.data.LlmAdaptersData;
import ai.sara4j.core.data.PromptTemplate;
import ai.sara4j.core.metrics.AnswerScorer;
import ai.sara4j.core.metrics.Bleu;
import ai.sara4j.core.metrics.Cider;
import ai.sara4j.core.metrics.Nist;
import ai.sara4j.core.metrics.RougeL;
import ai.sara4j.djl.model.Completion;
import ai.sara4j.djl.model.GenerationOptions;
import ai.sara4j.djl.model.LanguageModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates a model (with or without an adapter already loaded onto it) the way the SARA paper does: greedy decoding
 * of LLM-Adapters' evaluation prompt and their answer extraction for math and commonsense sets, greedy decoding of
 * each distinct E2E meaning representation with corpus BLEU (sacreBLEU), ROUGE-L, NIST (nltk's corpus_nist) and
 * coco-caption's CIDEr-D ({@link ai.sara4j.core.metrics.Cider}).
 *
 * <p>LLM-Adapters decodes with 4-beam search; SARA4J decodes greedily (the choice), so accuracies can differ
 * slightly from numbers produced with their script.
 */
public final class Evaluator {
    private static final Logger LOG = LoggerFactory.getLogger(Evaluator.class);
    /** The marker evaluate.py splits the decoded text on. */
    private static final String RESPONSE_MARKER = "### Response:";

    /** Called after every batch. */
    @FunctionalInterface
    public interface Progress {
        /**
         * Reports how far generation has got.
         *
         * @param done prompts decoded so far
         * @param total prompts to decode in this run
         */
        void update(int done, int total);
    }

    private final LanguageModel model;
    private final int batchSize;
    private final int maxNewTokens;

    /**
     * An evaluator of {@code model}, which may carry an adapter.
     *
     * @param model the model to evaluate
     * @param batchSize prompts decoded together
     * @param maxNewTokens generation budget per prompt, or 0 for the task's default
     * @throws IllegalArgumentException when {@code batchSize} &lt; 1 or {@code maxNewTokens} &lt; 0
     */
    public Evaluator(LanguageModel model, int batchSize, int maxNewTokens) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        }
        this.model = model;
        this.batchSize = batchSize;
        this.maxNewTokens = maxNewTokens;
    }

    /**
     * Evaluates {@code task} on the first {@code limit} examples of {@code data} (0: all); for E2E the limit counts
     * distinct meaning representations.
     *
     * @param data an LLM-Adapters JSON file (math, choice; every record needs an {@code answer}) or an E2E
     *     {@code mr||text} file
     * @param task the kind of evaluation, which decides the data layout, the default budget and the metrics
     * @param limit how many examples (E2E: meaning representations) to evaluate, 0 for all
     * @param progress called after every batch, or null
     * @return the metrics with every prediction (math, choice) or generated text (E2E)
     * @throws DatasetException when the data file is missing or malformed, or a record has no answer
     * @throws IllegalArgumentException when {@code limit} &lt; 0, or the answers of a choice set belong to no single
     *     answer-word family
     */
    public EvalReport run(Path data, EvalTask task, int limit, Progress progress) throws DatasetException {
        GenerationOptions options = GenerationOptions.greedy(maxNewTokens > 0 ? maxNewTokens : task.defaultMaxNewTokens());
        String dataset = datasetName(data);
        if (task == EvalTask.E2E) {
            List<E2eData.Group> groups = limit(E2eData.group(E2eData.read(data)), limit);
            List<String> hypotheses = generate(groups.stream().map(E2eData.Group::prompt).toList(), options, progress)
                    .stream().map(String::strip).toList();
            List<List<String>> references = groups.stream().map(E2eData.Group::references).toList();
            Map<String, Number> metrics = new LinkedHashMap<>();
            metrics.put("bleu", Bleu.corpus(hypotheses, references).score());
            metrics.put("rouge_l", RougeL.corpus(hypotheses, references));
            metrics.put("nist", Nist.corpus(hypotheses, references));
            metrics.put("cider", Cider.corpus(hypotheses, references).score());
            metrics.put("count", hypotheses.size());
            LOG.info("{} on {} meaning representations: BLEU {}, ROUGE-L {}, NIST {}, CIDEr {}", dataset,
                    hypotheses.size(), metrics.get("bleu"), metrics.get("rouge_l"), metrics.get("nist"),
                    metrics.get("cider"));
            return new EvalReport(task, dataset, "text", metrics, List.of(), hypotheses);
        }
        List<AlpacaRecord> records = limit(LlmAdaptersData.read(data), limit);
        List<String> answers = records.stream().map(AlpacaRecord::answer).toList();
        for (int i = 0; i < answers.size(); i++) {
            if (answers.get(i).isEmpty()) {
                throw new DatasetException(data + ": record " + i + ": no 'answer' to score against");
            }
        }
        AnswerScorer scorer = task == EvalTask.MATH
                ? AnswerScorer.forMath(dataset, answers)
                : AnswerScorer.forChoice(dataset, answers);
        List<String> prompts = records.stream().map(r -> r.prompt(PromptTemplate.EVALUATION)).toList();
        List<String> responses = generate(prompts, options, progress).stream().map(Evaluator::response).toList();
        List<Prediction> predictions = new ArrayList<>(records.size());
        int correct = 0;
        for (int i = 0; i < records.size(); i++) {
            String response = responses.get(i);
            boolean ok = scorer.isCorrect(response, answers.get(i));
            correct += ok ? 1 : 0;
            predictions.add(new Prediction(records.get(i).instruction(), response, scorer.extract(response),
                    answers.get(i), ok));
        }
        Map<String, Number> metrics = new LinkedHashMap<>();
        metrics.put("accuracy", records.isEmpty() ? 0.0 : (double) correct / records.size());
        metrics.put("correct", correct);
        metrics.put("count", records.size());
        LOG.info("{} ({} answers): accuracy {} ({}/{})", dataset, scorer.name(), metrics.get("accuracy"), correct,
                records.size());
        return new EvalReport(task, dataset, scorer.name(), metrics, predictions, List.of());
    }

    /**
     * The response as evaluate.py sees it: it decodes prompt and continuation together and keeps what lies between
     * the first and second "### Response:", stripped; the prompt holds the first, so that is the continuation up to
     * any "### Response:" it generates.
     */
    static String response(String continuation) {
        int next = continuation.indexOf(RESPONSE_MARKER);
        return (next < 0 ? continuation : continuation.substring(0, next)).strip();
    }

    private List<String> generate(List<String> prompts, GenerationOptions options, Progress progress) {
        List<String> texts = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += batchSize) {
            List<String> batch = prompts.subList(from, Math.min(prompts.size(), from + batchSize));
            for (Completion c : model.generate(batch, options)) {
                texts.add(c.text());
            }
            if (progress != null) {
                progress.update(texts.size(), prompts.size());
            }
        }
        return texts;
    }

    /**
     * The name a data file's results are reported under.
     *
     * @param data a data file
     * @return {@code NAME} for LLM-Adapters' {@code NAME/test.json} and {@code NAME/train.json}, else the file name
     *     without extension
     */
    public static String datasetName(Path data) {
        String file = data.getFileName().toString();
        Path parent = data.toAbsolutePath().getParent();
        if ((file.equals("test.json") || file.equals("train.json")) && parent != null && parent.getFileName() != null) {
            return parent.getFileName().toString();
        }
        int dot = file.lastIndexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }

    private static <T> List<T> limit(List<T> items, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        return limit == 0 || limit >= items.size() ? items : items.subList(0, limit);
    }
}
