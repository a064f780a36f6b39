package ai.sara4j.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's model, made from nothing: a word-level Hugging Face tokenizer over the demo's vocabulary (digits,
 * the operation words, {@code ||}) and a small randomly initialised LLaMA, written as an ordinary checkpoint folder
 * that every command reads like a downloaded one.
 */
final class DemoModel {
    static final int HIDDEN = 64;
    static final int INTERMEDIATE = 176;
    static final int LAYERS = 2;
    static final int HEADS = 4;
    static final int VOCAB = 32;
    static final String[] PROJECTIONS = {
        "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

    /** Special tokens first (ids 0–3), then the words of the demo's tasks. */
    private static final List<String> WORDS = List.of("<pad>", "<s>", "</s>", "<unk>",
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "add", "sub", "mul", "||");

    private DemoModel() {}

    /** Writes config.json, tokenizer.json and model.safetensors into {@code dir}. */
    static void write(Path dir, long seed) throws IOException {
        AtomicFiles.writeString(dir.resolve("config.json"), config());
        AtomicFiles.writeString(dir.resolve("tokenizer.json"), tokenizer());
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            manager.getEngine().setRandomSeed((int) seed);
            // std 1/√hidden keeps activations O(1) in so narrow a model (HF's 0.02 suits hidden ≈ 2500)
            float std = (float) (1 / Math.sqrt(HIDDEN));
            add(weights, "model.embed_tokens.weight", manager.randomNormal(0, std, new Shape(VOCAB, HIDDEN), DataType.FLOAT32));
            add(weights, "model.norm.weight", manager.ones(new Shape(HIDDEN)));
            for (int layer = 0; layer < LAYERS; layer++) {
                String prefix = "model.layers." + layer + ".";
                add(weights, prefix + "input_layernorm.weight", manager.ones(new Shape(HIDDEN)));
                add(weights, prefix + "post_attention_layernorm.weight", manager.ones(new Shape(HIDDEN)));
                for (String p : PROJECTIONS) {
                    long out = p.equals("mlp.gate_proj") || p.equals("mlp.up_proj") ? INTERMEDIATE : HIDDEN;
                    long in = p.equals("mlp.down_proj") ? INTERMEDIATE : HIDDEN;
                    add(weights, prefix + p + ".weight",
                            manager.randomNormal(0, (float) (1 / Math.sqrt(in)), new Shape(out, in), DataType.FLOAT32));
                }
            }
        }
        weights.write(dir.resolve("model.safetensors"));
    }

    private static void add(SafetensorsWriter writer, String name, NDArray array) {
        writer.add(name, DType.F32, array.getShape().getShape(), array.toByteBuffer());
    }

    private static String config() {
        return "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n"
                + "  \"hidden_size\": " + HIDDEN + ",\n  \"intermediate_size\": " + INTERMEDIATE + ",\n"
                + "  \"num_hidden_layers\": " + LAYERS + ",\n  \"num_attention_heads\": " + HEADS + ",\n"
                + "  \"num_key_value_heads\": " + HEADS + ",\n  \"vocab_size\": " + VOCAB + ",\n"
                + "  \"max_position_embeddings\": 64,\n  \"rms_norm_eps\": 1e-06,\n  \"rope_theta\": 10000.0,\n"
                + "  \"hidden_act\": \"silu\",\n  \"tie_word_embeddings\": true,\n  \"bos_token_id\": 1,\n"
                + "  \"eos_token_id\": 2,\n  \"pad_token_id\": 0,\n  \"torch_dtype\": \"float32\"\n}\n";
    }

    /** A word-level tokenizer: whitespace/punctuation split, {@code <s>} prepended, words joined by spaces on decoding. */
    private static String tokenizer() throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < 4; id++) {
            added.addObject().put("id", id).put("content", WORDS.get(id)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "Whitespace");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        post.set("single", template("A"));
        ArrayNode pair = template("A");
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        post.set("pair", pair);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < WORDS.size(); id++) {
            vocab.put(WORDS.get(id), id);
        }
        model.put("unk_token", "<unk>");
        return Json.MAPPER.writeValueAsString(root);
    }

    private static ArrayNode template(String sequence) {
        ArrayNode t = Json.MAPPER.createArrayNode();
        t.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        t.addObject().putObject("Sequence").put("id", sequence).put("type_id", 0);
        return t;
    }

    /** One arithmetic task: "{@code op a b}" → the digit {@code f(a, b) mod 10}, for every pair of digits. */
    record Task(String op, java.util.function.IntBinaryOperator f) {
        /** Every example as an E2E-format line {@code op a b||c}. */
        List<String> lines() {
            List<String> lines = new ArrayList<>();
            for (int a = 0; a < 10; a++) {
                for (int b = 0; b < 10; b++) {
                    lines.add(op + " " + a + " " + b + "||" + Math.floorMod(f.applyAsInt(a, b), 10));
                }
            }
            return lines;
        }
    }
}
