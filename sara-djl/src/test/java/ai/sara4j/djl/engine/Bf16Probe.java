package ai.sara4j.djl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Run in a child JVM by {@link Bf16EngineTest}: one BF16 experiment per process, since the engine may abort the
 * whole JVM. Prints {@code ok <what>} after each step that returned, so the parent sees where the process died.
 */
public final class Bf16Probe {
    private Bf16Probe() {}

    /**
     * Runs one experiment.
     *
     * @param args {@code buffer} (create a BF16 tensor from bf16 bits), {@code toType} (convert FP32 to BF16) or
     *     {@code scripted} (make a BF16 tensor inside TorchScript, then matmul, add, softmax it through DJL)
     */
    public static void main(String[] args) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray fp32 = manager.create(new float[] {1f, 2f, 3f, 4f}, new Shape(2, 2));
            step("fp32 " + fp32.matMul(fp32).getDataType());
            switch (args[0]) {
                case "buffer" -> {
                    ByteBuffer bits = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
                    for (float v : fp32.toFloatArray()) {
                        bits.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                    }
                    bits.rewind();
                    step("created " + manager.create(bits, new Shape(2, 2), DataType.BFLOAT16).getDataType());
                }
                case "toType" -> step("converted " + fp32.toType(DataType.BFLOAT16, false).getDataType());
                case "scripted" -> {
                    // torch.bfloat16 is ScalarType 15; TorchScript has no Tensor.bfloat16()
                    TorchScriptModule cast = TorchScriptModule.shared("ProbeToBf16",
                            "  def forward(self: __torch__.ProbeToBf16, x: Tensor) -> Tensor:\n"
                                    + "    return x.to(dtype=15)\n");
                    NDArray bf16 = cast.run("forward", fp32).get(0);
                    step("scripted " + bf16.getDataType());
                    NDArray product = bf16.matMul(bf16);
                    step("matmul " + java.util.Arrays.toString(product.toType(DataType.FLOAT32, false)
                            .toFloatArray()));
                    step("add " + product.add(product).getDataType());
                    step("softmax " + product.softmax(-1).getDataType());
                }
                default -> throw new IllegalArgumentException("unknown experiment " + args[0]);
            }
        }
    }

    private static void step(String what) {
        System.out.println("ok " + what);
        System.out.flush();
    }
}
