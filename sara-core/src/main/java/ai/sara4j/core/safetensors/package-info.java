/**
 * Reading and writing Hugging Face safetensors checkpoints in pure Java: a memory-mapped, validated reader for one
 * file ({@link ai.sara4j.core.safetensors.SafetensorsFile}), single-file or sharded checkpoints behind one name
 * lookup ({@link ai.sara4j.core.safetensors.Checkpoint}), an atomic writer, and the element types with their
 * half-precision conversions ({@link ai.sara4j.core.safetensors.DType}, {@link ai.sara4j.core.safetensors.HalfFloats}).
 * Errors are {@link ai.sara4j.core.safetensors.SafetensorsException}s naming the file and tensor.
 */
package ai.sara4j.core.safetensors;
