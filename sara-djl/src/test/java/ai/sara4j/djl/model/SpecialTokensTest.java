package ai.sara4j.djl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.sara4j.core.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Special-token ids found as transformers finds them. The expected ids are read off the files by hand: tinystories'
 * tokenizer_config.json lists {@code 0 <unk>, 1 <|start_story|>, 2 <|end_story|>} in added_tokens_decoder and names
 * them bos/eos/pad/unk. Skipped when ../shared is absent.
 */
class SpecialTokensTest {

    @Test
    void tinyStoriesIdsComeFromTokenizerConfig() throws Exception {
        try (TextTokenizer t = TextTokenizer.load(SharedData.tinyStories())) {
            assertEquals(OptionalLong.of(1), t.bosTokenId());
            assertEquals(OptionalLong.of(2), t.eosTokenId());
            assertEquals(OptionalLong.of(0), t.padTokenId());
            assertEquals(OptionalLong.of(0), t.unkTokenId());
            assertEquals(0, t.trainingPadId());
        }
    }

    /** A folder holding tinystories' tokenizer.json and the given files. */
    private static Path folder(Path tmp, String... nameAndJson) throws IOException {
        Files.createDirectories(tmp);
        Files.copy(SharedData.tinyStories().resolve(TextTokenizer.TOKENIZER_FILE), tmp.resolve(TextTokenizer.TOKENIZER_FILE));
        for (int i = 0; i < nameAndJson.length; i += 2) {
            Files.writeString(tmp.resolve(nameAndJson[i]), nameAndJson[i + 1]);
        }
        return tmp;
    }

    @Test
    void withoutTokenizerNamesTheModelConfigsDecideGenerationConfigFirst(@TempDir Path tmp) throws Exception {
        Path dir = folder(tmp, "config.json", "{\"bos_token_id\": 1, \"eos_token_id\": [5, 7]}",
                "generation_config.json", "{\"eos_token_id\": 9, \"pad_token_id\": null}");
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            assertEquals(OptionalLong.of(1), t.bosTokenId());
            assertEquals(OptionalLong.of(9), t.eosTokenId());
            assertEquals(OptionalLong.empty(), t.padTokenId());
            assertEquals(OptionalLong.empty(), t.unkTokenId());
            assertEquals(9, t.trainingPadId(), "no pad or unk: eos pads");
        }
        try (TextTokenizer t = TextTokenizer.load(folder(tmp.resolve("only-config"), "config.json",
                "{\"eos_token_id\": [5, 7]}"))) {
            assertEquals(OptionalLong.of(5), t.eosTokenId(), "the first of a list");
        }
    }

    @Test
    void specialTokensMapOverridesOnlyALegacyConfig(@TempDir Path tmp) throws Exception {
        String map = "{\"eos_token\": {\"content\": \"<|start_story|>\"}}";
        Path legacy = folder(tmp.resolve("legacy"), "tokenizer_config.json",
                "{\"eos_token\": \"<|end_story|>\", \"unk_token\": \"<unk>\"}", "special_tokens_map.json", map,
                "config.json", "{\"eos_token_id\": 7}");
        try (TextTokenizer t = TextTokenizer.load(legacy)) {
            assertEquals(OptionalLong.of(1), t.eosTokenId(), "special_tokens_map.json wins over a legacy config");
            assertEquals(0, t.trainingPadId(), "no pad: unk pads, as LLM-Adapters' pad_token_id = 0");
        }
        Path current = folder(tmp.resolve("current"), "tokenizer_config.json",
                "{\"added_tokens_decoder\": {}, \"eos_token\": \"<|end_story|>\"}", "special_tokens_map.json", map);
        try (TextTokenizer t = TextTokenizer.load(current)) {
            assertEquals(OptionalLong.of(2), t.eosTokenId(), "with added_tokens_decoder the map is not read");
        }
    }

    @Test
    void aTokenThatIsNotOneTokenGetsTheUnknownId(@TempDir Path tmp) throws Exception {
        Path dir = folder(tmp, "tokenizer_config.json",
                "{\"added_tokens_decoder\": {}, \"pad_token\": \"once upon a time\", \"unk_token\": \"<unk>\"}",
                "config.json", "{\"pad_token_id\": 3}");
        try (TextTokenizer t = TextTokenizer.load(dir)) {
            assertEquals(OptionalLong.of(0), t.padTokenId());
        }
    }
}
