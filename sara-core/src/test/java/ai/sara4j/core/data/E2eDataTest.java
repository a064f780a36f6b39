package ai.sara4j.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class E2eDataTest {
    @TempDir
    Path dir;

    private Path write(String text) throws Exception {
        Path p = dir.resolve("e2e.txt");
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void examplesAndGroupsInOrderOfFirstAppearance() throws Exception {
        Path file = write("""
                name : Aromi | eatType : pub||Aromi is a pub . \n\
                name : Blue | food : café||Blue serves café food .
                name : Aromi | eatType : pub||There is a pub , Aromi .

                name : Blue | food : café||Blue , a café .
                name : Cotto||Cotto || is here .
                """);
        List<Example> train = E2eData.examples(file);
        assertEquals(5, train.size());
        assertEquals("name : Aromi | eatType : pub ||", train.get(0).prompt());
        assertEquals(" Aromi is a pub .", train.get(0).target(), "trailing space of the file trimmed");
        assertEquals(" Cotto || is here .", train.get(4).target(), "split at the first ||");

        List<E2eData.Group> groups = E2eData.group(E2eData.read(file));
        assertEquals(List.of(
                new E2eData.Group("name : Aromi | eatType : pub", List.of("Aromi is a pub .", "There is a pub , Aromi .")),
                new E2eData.Group("name : Blue | food : café", List.of("Blue serves café food .", "Blue , a café .")),
                new E2eData.Group("name : Cotto", List.of("Cotto || is here ."))), groups);

        List<Example> eval = E2eData.evaluationExamples(file);
        assertEquals(3, eval.size());
        assertEquals("name : Blue | food : café ||", eval.get(1).prompt());
        assertEquals(List.of("Blue serves café food .", "Blue , a café ."), eval.get(1).references());
    }

    @Test
    void badLinesNameTheFileAndLine() throws Exception {
        assertMessage(write("a||b\nno separator here\n"), "e2e.txt: line 2: expected 'meaning representation||text'");
        assertMessage(write("a||b\n\n||text\n"), "e2e.txt: line 3: empty meaning representation");
        assertMessage(write("a|| \n"), "e2e.txt: line 1: empty text");
        assertMessage(write("\n\n"), "e2e.txt: no 'meaning representation||text' lines");
        Files.write(dir.resolve("e2e.txt"), new byte[] {'a', '|', '|', (byte) 0xff});
        assertMessage(dir.resolve("e2e.txt"), "e2e.txt: not UTF-8");
        assertMessage(dir.resolve("missing.txt"), "missing.txt: no such file");
        assertMessage(Files.createDirectories(dir.resolve("valid.txt")), "valid.txt: is a folder, not a data file");
    }

    private static void assertMessage(Path file, String expected) {
        DatasetException e = assertThrows(DatasetException.class, () -> E2eData.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void readsTheValidationSet() throws Exception {
        Path file = SharedData.require("data/e2e/valid.txt");
        List<E2eData.Pair> pairs = E2eData.read(file);
        assertEquals(4672, pairs.size());
        List<E2eData.Group> groups = E2eData.group(pairs);
        assertEquals(new HashSet<>(pairs.stream().map(E2eData.Pair::meaning).toList()).size(), groups.size());
        assertEquals(pairs.size(), groups.stream().mapToInt(g -> g.references().size()).sum());
        assertEquals("name : Alimentum | area : city centre | family friendly : no", groups.get(0).meaning());
        assertEquals("There is a place in the city centre , Alimentum , that is not family - friendly .",
                groups.get(0).references().get(0));
        assertEquals(DataFormat.E2E, DataFormat.detect(file));
        assertEquals(pairs.size(), DataFormat.E2E.trainingExamples(file).size());
    }
}
