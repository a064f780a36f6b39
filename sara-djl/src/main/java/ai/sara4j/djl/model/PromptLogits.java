package ai.sara4j.djl.model;

import ai.sara4j.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The logits of a prompt.
 *
 * @param inputIds the tokenizer's ids for the prompt, length T
 * @param logits float32 logits, row-major (T, vocabSize)
 * @param vocabSize width of a row
 */
public record PromptLogits(long[] inputIds, float[] logits, int vocabSize) {

    /**
     * Writes tensors {@code input_ids} ([T], I64) and {@code logits} ([T, vocab], F32) as safetensors, for
     * comparison with transformers' logits of the same prompt.
     *
     * @param file the safetensors file to write (replaced atomically)
     * @throws IOException when the file cannot be written
     */
    public void write(Path file) throws IOException {
        new SafetensorsWriter()
                .addLongs("input_ids", new long[] {inputIds.length}, inputIds)
                .addFloats("logits", new long[] {inputIds.length, vocabSize}, logits)
                .write(file);
    }
}
