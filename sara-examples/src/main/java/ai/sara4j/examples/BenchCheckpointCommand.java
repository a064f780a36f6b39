package ai.sara4j.examples;

import ai.sara4j.core.io.OutputFolder;
import ai.sara4j.core.safetensors.DType;
import ai.sara4j.djl.model.ModelPresets;
import ai.sara4j.djl.model.RandomCheckpoint;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./sara bench checkpoint}: writes a sharded checkpoint folder of a named Llama shape with random weights
 * ({@link RandomCheckpoint}), for load benchmarks of checkpoints the size of real ones (llama-7b in BF16: 13.5 GB on
 * disk, one shard in memory while writing).
 */
@Command(name = "checkpoint", mixinStandardHelpOptions = true,
        description = "Write a sharded random-weight checkpoint of a named Llama shape (for load benchmarks).")
final class BenchCheckpointCommand implements Callable<Integer> {
    @Option(names = "--shape", defaultValue = "llama-7b",
            description = "Model shape: llama-7b, llama-13b or tinyllama-1.1b (default ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--out", required = true, description = "The checkpoint folder to write (new or empty).")
    Path out;

    @Option(names = "--dtype", defaultValue = "bf16", description = "bf16, fp16 or fp32 (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--shard-mib", defaultValue = "1024",
            description = "Largest shard in MiB; bounds the writer's memory (default ${DEFAULT-VALUE}).")
    long shardMib;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the values (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (shardMib < 1) {
            throw new IllegalArgumentException("--shard-mib must be >= 1, got " + shardMib);
        }
        DType type = switch (dtype) {
            case "bf16" -> DType.BF16;
            case "fp16" -> DType.F16;
            case "fp32" -> DType.F32;
            default -> throw new IllegalArgumentException("--dtype must be bf16, fp16 or fp32, got '" + dtype + "'");
        };
        RandomCheckpoint writer = RandomCheckpoint.of(ModelPresets.get(shape)).shardDTypes(List.of(type))
                .maxShardBytes(shardMib << 20).seed(seed);
        long start = System.nanoTime();
        int[] shards = new int[1];
        OutputFolder.of("random-checkpoint", "./sara bench checkpoint").write(out, tmp -> shards[0] = writer.write(tmp));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "checkpoint");
        result.put("shape", shape);
        result.put("dtype", dtype);
        result.put("folder", out.toString());
        result.put("shards", shards[0]);
        result.put("seconds", (System.nanoTime() - start) / 1e9);
        System.out.println(Json.MAPPER.writeValueAsString(result));
        return 0;
    }
}
