package ai.sara4j.djl.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.sara4j.core.testing.SharedData;
import ai.sara4j.djl.model.TextTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * Training ids and labels of real E2E lines and LLM-Adapters math records with tinystories-656k's tokenizer, equal to
 * what LLM-Adapters' finetune.py makes with transformers ({@code tools/fixtures/make_training_token_fixtures.py}),
 * truncation at {@code cutoff_len} included. Skipped when ../shared is absent.
 */
class ExampleTokenizerTest {
    private static final long EOS = 2;

    @Test
    void idsAndLabelsMatchLlmAdaptersFinetune() throws Exception {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/training-tokens.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        int truncated = 0;
        int dropped = 0;
        try (TextTokenizer tokenizer = TextTokenizer.load(SharedData.tinyStories())) {
            for (JsonNode c : cases) {
                int cutoff = c.get("cutoff_len").asInt();
                TokenizedDataset d = ExampleTokenizer.of(tokenizer, EOS, cutoff)
                        .tokenize(List.of(c.get("prompt").asText()), List.of(c.get("target").asText()));
                String name = c.get("prompt").asText();
                long[] labels = longs(c.get("labels"));
                if (Arrays.stream(labels).allMatch(l -> l == TrainingExample.IGNORE)) {
                    // the prompt fills the cutoff: LLM-Adapters keeps a sample without loss, SARA4J drops it
                    assertEquals(1, d.dropped(), name);
                    dropped++;
                    continue;
                }
                TrainingExample e = d.examples().get(0);
                assertArrayEquals(longs(c.get("input_ids")), e.inputIds(), name);
                assertArrayEquals(labels, e.labels(), name);
                assertEquals(c.get("truncated").asBoolean() ? 1 : 0, d.truncated(), name);
                truncated += d.truncated();
            }
        }
        // the fixture has whole, truncated and prompt-only cases (its script prints the counts)
        assertEquals(List.of(cases.size() - truncated - dropped, truncated, dropped), List.of(11, 13, 6));
    }

    private static long[] longs(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
    }
}
