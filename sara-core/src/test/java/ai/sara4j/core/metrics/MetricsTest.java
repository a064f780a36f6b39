package ai.sara4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** BLEU and ROUGE-L against tools/fixtures/make_metric_fixtures.py (sacreBLEU 2.6 and coco-caption's Rouge). */
class MetricsTest {
    private static JsonNode fixture;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = MetricsTest.class.getResourceAsStream("/fixtures/metric-cases.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<List<String>> references(JsonNode corpus) {
        List<List<String>> out = new ArrayList<>();
        corpus.get("references").forEach(r -> out.add(strings(r)));
        return out;
    }

    @Test
    void tokenizer13aEqualsSacreBleu() {
        assertTrue(fixture.get("tokenize_13a").size() >= 40);
        for (JsonNode c : fixture.get("tokenize_13a")) {
            assertEquals(c.get(1).asText(), String.join(" ", Tokenizer13a.tokenize(c.get(0).asText())), c.get(0).asText());
        }
    }

    @Test
    void corpusBleuEqualsSacreBleu() {
        JsonNode corpora = fixture.get("corpora");
        assertEquals(100, corpora.size());
        for (JsonNode c : corpora) {
            String name = c.get("name").asText();
            Bleu.Score s = Bleu.corpus(strings(c.get("hypotheses")), references(c));
            assertEquals(c.get("sys_len").asLong(), s.sysLen(), name);
            assertEquals(c.get("ref_len").asLong(), s.refLen(), name);
            assertArrayEquals(longs(c.get("correct")), s.correct(), name);
            assertArrayEquals(longs(c.get("total")), s.total(), name);
            assertEquals(c.get("bleu").asDouble(), s.score(), 1e-9, name);
        }
    }

    @Test
    void rougeLEqualsCocoCaption() {
        for (JsonNode c : fixture.get("corpora")) {
            String name = c.get("name").asText();
            List<String> hyps = strings(c.get("hypotheses"));
            List<List<String>> refs = references(c);
            assertEquals(c.get("rouge_l").asDouble(), RougeL.corpus(hyps, refs), 1e-9, name);
            for (int i = 0; i < hyps.size(); i++) {
                assertEquals(c.get("rouge_l_segments").get(i).asDouble(), RougeL.segment(hyps.get(i), refs.get(i)), 1e-12,
                        name + " segment " + i);
            }
        }
    }

    @Test
    void handDerivedValues() {
        // hypothesis "a b c d" vs reference "a b c e": p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0 -> exp smoothing 1/(2*1)
        double expected = Math.exp((Math.log(75) + Math.log(200.0 / 3) + Math.log(50) + Math.log(50)) / 4);
        assertEquals(expected, Bleu.corpus(List.of("a b c d"), List.of(List.of("a b c e"))).score(), 1e-12);
        // LCS "a c" of "a b c" and "a c d e": P = 2/3, R = 2/4
        double p = 2.0 / 3;
        double r = 0.5;
        assertEquals(2.44 * p * r / (r + 1.44 * p), RougeL.segment("A b c", List.of("a c d e")), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> Bleu.corpus(List.of("a"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> RougeL.segment("a", List.of()));
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
