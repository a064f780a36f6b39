package ai.sara4j.djl.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model folder ready to use: tokenizer plus {@link CausalLM} on one device, owning their native memory.
 *
 * <pre>{@code
 * try (LanguageModel lm = LanguageModel.load(Path.of("models/tinystories-656k"))) {
 *     lm.logits("Once upon a time").write(Path.of("logits.safetensors"));
 *     System.out.println(lm.generate("Once upon a time", GenerationOptions.greedy(40)).text());
 * }
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
    private final NDManager manager;
    private final TextTokenizer tokenizer;
    private final CausalLM model;

    private LanguageModel(NDManager manager, TextTokenizer tokenizer, CausalLM model) {
        this.manager = manager;
        this.tokenizer = tokenizer;
        this.model = model;
    }

    /**
     * Loads a Hugging Face model folder on the engine's default device in its working dtype
     * ({@link ModelLoader#workingType}).
     *
     * @param folder the model folder ({@code config.json}, safetensors weights, {@code tokenizer.json})
     * @return the loaded model; close it to free its native memory
     * @throws ModelException when a file is missing or invalid, naming it
     */
    public static LanguageModel load(Path folder) throws ModelException {
        return load(folder, null);
    }

    /**
     * Loads a Hugging Face model folder on {@code device} in its working dtype ({@link ModelLoader#workingType}).
     *
     * @param folder the model folder ({@code config.json}, safetensors weights, {@code tokenizer.json})
     * @param device where the weights live; null for the engine's default
     * @return the loaded model; close it to free its native memory
     * @throws ModelException when a file is missing or invalid, naming it
     */
    public static LanguageModel load(Path folder, Device device) throws ModelException {
        return load(folder, device, null);
    }

    /**
     * Loads a Hugging Face model folder on {@code device} (null: the engine's default) with weights in {@code dtype}
     * (float32 or float16; null: {@link ModelLoader#workingType}).
     *
     * @param folder the model folder ({@code config.json}, safetensors weights, {@code tokenizer.json})
     * @param device where the weights live; null for the engine's default
     * @param dtype float32 or float16; null for the device's working dtype
     * @return the loaded model; close it to free its native memory
     * @throws ModelException when a file is missing or invalid, naming it
     * @throws IllegalArgumentException for a dtype other than float32 or float16
     */
    public static LanguageModel load(Path folder, Device device, DataType dtype) throws ModelException {
        NDManager manager = NDManager.newBaseManager(device);
        TextTokenizer tokenizer = null;
        try {
            CausalLM model = ModelLoader.load(folder, manager,
                    dtype == null ? ModelLoader.workingType(manager.getDevice()) : dtype);
            tokenizer = TextTokenizer.load(folder);
            return new LanguageModel(manager, tokenizer, model);
        } catch (ModelException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The network; adapters are injected into it with {@code Modules.replace}.
     *
     * @return the model, owned by this object
     */
    public CausalLM model() {
        return model;
    }

    /**
     * The folder's tokenizer.
     *
     * @return the tokenizer, owned by this object (closed with it)
     */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The manager owning the weights; arrays for this model are created on it.
     *
     * @return the base manager on the model's device, closed with this object
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * The prompt's token ids and the model's logits at every position (one forward pass, no cache).
     *
     * @param prompt the text, tokenized with the special tokens transformers would add
     * @return the ids (T) and float32 logits (T, vocab), copied to the heap
     * @throws IllegalArgumentException when the prompt is longer than the model's positions
     */
    public PromptLogits logits(String prompt) {
        long[] ids = tokenizer.encode(prompt);
        // results of operations on the weights belong to the weights' manager: the scope closes them all
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = manager.create(ids, new Shape(1, ids.length));
            NDArray logits = model.forward(new ParameterStore(manager, false), input, null, null, false);
            return new PromptLogits(ids, logits.toFloatArray(), model.config().vocabSize());
        }
    }

    /**
     * Continues {@code prompt} ({@link Generator}).
     *
     * @param prompt the text, tokenized with the special tokens transformers would add
     * @param options budget, greedy or sampled decoding, stop tokens and cache
     * @return the prompt's ids, the new ids and their text (special tokens skipped)
     * @throws IllegalArgumentException for an empty prompt, or one too long for the model plus the budget
     */
    public Completion generate(String prompt, GenerationOptions options) {
        long[] ids = tokenizer.encode(prompt);
        long[] generated = new Generator(model, manager).generate(ids, options);
        return new Completion(ids, generated, tokenizer.decode(generated));
    }

    /**
     * Continues each prompt greedily, all of them in one batch ({@link BatchGenerator}).
     *
     * @param prompts the texts
     * @param options greedy options (temperature 0): budget and stop tokens
     * @return one completion per prompt, in order
     * @throws IllegalArgumentException for sampling options, an empty prompt, or prompts too long for the model
     */
    public List<Completion> generate(List<String> prompts, GenerationOptions options) {
        List<long[]> ids = prompts.stream().map(tokenizer::encode).toList();
        List<long[]> generated = new BatchGenerator(model, manager).generate(ids, options);
        List<Completion> out = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            out.add(new Completion(ids.get(i), generated.get(i), tokenizer.decode(generated.get(i))));
        }
        return out;
    }

    @Override
    public void close() {
        tokenizer.close();
        manager.close();
    }
}
