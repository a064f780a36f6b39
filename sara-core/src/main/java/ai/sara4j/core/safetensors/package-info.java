/**
 * Reading and writing Hugging Face safetensors checkpoints in pure Java.
 *
 * <ul>
 *   <li>{@link ai.sara4j.core.safetensors.TensorSource}: named tensors behind one lookup, with conversions to
 *       F64/F32/F16 (F16 and BF16 are widened in Java, since DJL cannot hold BF16) and integer reads;</li>
 *   <li>{@link ai.sara4j.core.safetensors.SafetensorsFile}: one file, memory-mapped, its header validated when
 *       opened;</li>
 *   <li>{@link ai.sara4j.core.safetensors.Checkpoint}: a checkpoint folder, single-file or sharded through
 *       {@code model.safetensors.index.json};</li>
 *   <li>{@link ai.sara4j.core.safetensors.SafetensorsWriter}: collects tensors and writes one file atomically
 *       (through {@link ai.sara4j.core.io.AtomicFiles});</li>
 *   <li>{@link ai.sara4j.core.safetensors.DType}, {@link ai.sara4j.core.safetensors.TensorInfo} and
 *       {@link ai.sara4j.core.safetensors.HalfFloats}: element types, header entries and half-precision
 *       conversions.</li>
 * </ul>
 *
 * <p>Non-finite values never pass silently: {@link ai.sara4j.core.safetensors.FiniteValues} scans every floating
 * tensor that is read ({@code floatBuffer} and the reads built on it) or written, and a NaN or infinity is a
 * {@link ai.sara4j.core.safetensors.SafetensorsException} naming the file, the tensor and the element, as every
 * error of this package names the file and the tensor.
 */
package ai.sara4j.core.safetensors;
