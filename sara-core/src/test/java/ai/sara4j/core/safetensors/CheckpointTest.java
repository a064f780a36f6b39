package ai.sara4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sara4j.core.testing.SharedData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    /** Two shards and an index that places a.weight, a.bias in shard 1 and b.weight in shard 2. */
    private Path sharded(String weightMap) throws Exception {
        new SafetensorsWriter().addFloats("a.weight", new long[] {2, 2}, new float[] {1, 2, 3, 4})
                .addFloats("a.bias", new long[] {2}, new float[] {5, 6})
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().addDoubles("b.weight", new long[] {1, 3}, new double[] {7, 8, 9})
                .addLongs("unlisted", new long[] {1}, new long[] {1})
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"metadata\":{\"total_size\":60},\"weight_map\":"
                + weightMap + "}");
        return dir;
    }

    private static final String MAP = "{\"a.weight\":\"model-00001-of-00002.safetensors\","
            + "\"a.bias\":\"model-00001-of-00002.safetensors\",\"b.weight\":\"model-00002-of-00002.safetensors\"}";

    @Test
    void readsAShardedCheckpointThroughItsIndex() throws Exception {
        try (Checkpoint c = Checkpoint.open(sharded(MAP))) {
            assertEquals(List.of("a.weight", "a.bias", "b.weight"), List.copyOf(c.tensors().keySet()));
            assertArrayEquals(new float[] {1, 2, 3, 4}, c.readFloats("a.weight"));
            assertArrayEquals(new float[] {5, 6}, c.readFloats("a.bias"));
            assertArrayEquals(new double[] {7, 8, 9}, c.readDoubles("b.weight"));
            assertArrayEquals(new long[] {1, 3}, c.info("b.weight").shape());
            assertEquals(dir.resolve("model-00002-of-00002.safetensors"), c.fileOf("b.weight"));
            assertTrue(!c.contains("unlisted"), "only what the index lists");
            assertTrue(assertThrows(SafetensorsException.class, () -> c.buffer("c.weight")).getMessage()
                    .contains("missing tensor 'c.weight'"));
        }
    }

    @Test
    void singleFileFolderAndFile() throws Exception {
        Path file = dir.resolve(Checkpoint.SINGLE_FILE);
        new SafetensorsWriter().addFloats("w", new long[] {1}, new float[] {0.5f}).write(file);
        try (Checkpoint c = Checkpoint.open(dir); Checkpoint f = Checkpoint.open(file)) {
            assertArrayEquals(new float[] {0.5f}, c.readFloats("w"));
            assertArrayEquals(new float[] {0.5f}, f.readFloats("w"));
        }
    }

    @Test
    void theSharedModelOpens() throws Exception {
        try (Checkpoint c = Checkpoint.open(SharedData.tinyStories())) {
            assertEquals(20, c.tensors().size());
            assertArrayEquals(new long[] {2048, 128}, c.info("lm_head.weight").shape());
            assertEquals(128 * 128, c.readFloats("model.layers.0.self_attn.q_proj.weight").length);
        }
    }

    private static String rejected(Path location, String... fragments) {
        String msg = assertThrows(SafetensorsException.class, () -> Checkpoint.open(location).close()).getMessage();
        for (String f : fragments) {
            assertTrue(msg.contains(f), () -> "'" + f + "' not in: " + msg);
        }
        return msg;
    }

    @Test
    void indexProblemsNameTheFiles() throws Exception {
        String index = dir.resolve(Checkpoint.INDEX_FILE).toString();
        rejected(sharded(MAP.replace("}", ",\"c.weight\":\"model-00002-of-00002.safetensors\"}")),
                dir.resolve("model-00002-of-00002.safetensors") + ": missing tensor 'c.weight'",
                Checkpoint.INDEX_FILE);
        rejected(sharded(MAP.replace("model-00002-of-00002", "model-00003-of-00002")),
                dir.resolve("model-00003-of-00002.safetensors") + ": no such file");
        rejected(sharded("{\"a.weight\":\"../outside.safetensors\"}"), index, "'../outside.safetensors' lies outside");
        rejected(sharded("{\"a.weight\":7}"), index, "weight_map entry of 'a.weight' is not a file name");
        rejected(sharded("[]"), index, "no 'weight_map' object");
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\":");
        rejected(dir, index + ": not valid JSON");
    }

    @Test
    void missingFolderOrFiles() throws Exception {
        Path absent = dir.resolve("no-such-model");
        assertEquals(absent + ": no such file or folder",
                assertThrows(SafetensorsException.class, () -> Checkpoint.open(absent)).getMessage());
        Path empty = Files.createDirectory(dir.resolve("empty"));
        rejected(empty, empty.toString(), "no model.safetensors or model.safetensors.index.json");
    }
}
