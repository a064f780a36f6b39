package ai.sara4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** NIST against tools/fixtures/make_nist_fixture.py (nltk 3.10.3's corpus_nist on lower-cased 13a tokens). */
class NistTest {
    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void equalsNltkCorpusNist() throws Exception {
        JsonNode fixture;
        try (InputStream in = NistTest.class.getResourceAsStream("/fixtures/nist-cases.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
        JsonNode corpora = fixture.get("corpora");
        assertTrue(corpora.size() >= 10);
        for (JsonNode c : corpora) {
            List<List<String>> references = new ArrayList<>();
            c.get("references").forEach(r -> references.add(strings(r)));
            double nist = Nist.corpus(strings(c.get("hypotheses")), references, c.get("n").asInt());
            assertEquals(c.get("nist").asDouble(), nist, 1e-9, c.get("name").asText());
        }
    }

    @Test
    void defaultOrderIsFive() throws Exception {
        // the 5-gram "a b c d e" carries information log2(count("a b c d") / count("a b c d e")) = log2(2/1) = 1
        List<String> hyps = List.of("a b c d e", "a b c d f");
        List<List<String>> refs = List.of(List.of("a b c d e"), List.of("a b c d f"));
        assertEquals(Nist.corpus(hyps, refs, 5), Nist.corpus(hyps, refs));
        assertEquals(Nist.corpus(hyps, refs, 4) + 1.0, Nist.corpus(hyps, refs), 1e-12);
    }

    /** Hand-derived: info(a) = info(b) = log2(2/1) = 1, clipped matches 1 + 1 over 3 hypothesis unigrams. */
    @Test
    void handDerivedUnigramScore() {
        assertEquals(2.0 / 3.0, Nist.corpus(List.of("a a b"), List.of(List.of("a b")), 1), 1e-15);
    }

    /**
     * Hand-derived: unigram precision (1 + 1) / 2, bigram info log2(1/1) = 0; orders 3 to 5 have no hypothesis n-gram
     * and add 0 (where nltk divides by zero); equal lengths give penalty 1.
     */
    @Test
    void ordersWithoutHypothesisNgramsAddZero() {
        assertEquals(1.0, Nist.corpus(List.of("A B"), List.of(List.of("a b"))), 1e-15);
    }

    /** Hand-derived length penalty: a hypothesis 2/3 of the reference length scores half its precision sum. */
    @Test
    void twoThirdsLengthHalvesTheScore() {
        // reference "a b c": info of each unigram log2(3/1); hypothesis "a b": unigram precision log2(3).
        assertEquals(0.5 * Math.log(3) / Math.log(2), Nist.corpus(List.of("a b"), List.of(List.of("a b c")), 1),
                1e-12);
    }

    @Test
    void rejectsMalformedInput() {
        assertThrows(IllegalArgumentException.class, () -> Nist.corpus(List.of("a"), List.of()));
        assertThrows(IllegalArgumentException.class, () -> Nist.corpus(List.of("a"), List.of(List.of())));
        assertThrows(IllegalArgumentException.class, () -> Nist.corpus(List.of("a"), List.of(List.of(" "))));
        assertThrows(IllegalArgumentException.class, () -> Nist.corpus(List.of("a"), List.of(List.of("a")), 0));
    }
}
