package ai.sara4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CIDEr-D against tools/fixtures/cider_reference.py (an independent Python CIDEr-D checked against coco-caption's). */
class CiderTest {
    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void corpusEqualsPythonReference() throws Exception {
        JsonNode corpora;
        try (InputStream in = CiderTest.class.getResourceAsStream("/fixtures/cider-cases.json")) {
            corpora = new ObjectMapper().readTree(in).get("corpora");
        }
        assertEquals(12, corpora.size());
        int e2e = 0;
        for (JsonNode c : corpora) {
            String name = c.get("name").asText();
            List<List<String>> refs = new ArrayList<>();
            c.get("references").forEach(r -> refs.add(strings(r)));
            Cider.Score s = Cider.corpus(strings(c.get("hypotheses")), refs);
            assertEquals(c.get("cider").asDouble(), s.score(), 1e-9, name);
            assertEquals(refs.size(), s.segments().length, name);
            for (int i = 0; i < refs.size(); i++) {
                assertEquals(c.get("segments").get(i).asDouble(), s.segments()[i], 1e-9, name + " segment " + i);
            }
            e2e += name.startsWith("e2e") && refs.size() == 30 ? 1 : 0;
        }
        assertEquals(2, e2e, "the fixture holds the two 30-MR E2E corpora");
    }

    @Test
    void handDerivedValues() {
        // Each text matches its single reference exactly: every cosine is 1, no length penalty, 10 per segment.
        assertEquals(10.0, Cider.corpus(List.of("a b c d e", "f g h i"), List.of(List.of("A b c d e"), List.of("f g h i")))
                .score(), 1e-12);
        // One segment: log N = 0 zeroes every weight, so CIDEr is 0 even for a perfect match.
        assertEquals(0.0, Cider.corpus(List.of("a b"), List.of(List.of("a b"))).score());
        // Two segments sharing no n-gram: w = log 2 for every n-gram. Unigrams "x" vs refs "x y": cosine 1/sqrt(2);
        // no bigrams in the hypothesis, one in the reference: delta = 1, penalty exp(-1/72); orders 2..4 contribute 0.
        // "p q" matches exactly in orders 1 and 2 and has no 3- or 4-grams: 10 * (1 + 1 + 0 + 0) / 4.
        double expected = 10.0 * (Math.sqrt(0.5) * Math.exp(-1.0 / 72)) / 4;
        Cider.Score s = Cider.corpus(List.of("x", "p q"), List.of(List.of("x y"), List.of("p q")));
        assertEquals(expected, s.segments()[0], 1e-12);
        assertEquals(5.0, s.segments()[1], 1e-12);
        assertEquals((expected + 5.0) / 2, s.score(), 1e-12);
    }

    @Test
    void rejectsMalformedCorpora() {
        assertThrows(IllegalArgumentException.class, () -> Cider.corpus(List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Cider.corpus(List.of("a"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Cider.corpus(List.of("a"), List.of(List.of())));
    }
}
