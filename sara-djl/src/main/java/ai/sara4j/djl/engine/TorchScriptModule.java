package ai.sara4j.djl.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A parameter-free TorchScript module written from its source text, to reach ATen operators DJL does not expose
 * (such as {@code linalg_svd}). A TorchScript archive is a zip of the code as text plus a tiny pickle of the module
 * object, so SARA4J writes it itself: no Python, no binary resource. The methods run on whatever device their inputs
 * live on.
 */
public final class TorchScriptModule implements AutoCloseable {
    private static final Map<String, TorchScriptModule> SHARED = new ConcurrentHashMap<>();

    private final PtNDManager manager;
    private final PtSymbolBlock block;
    /** The module has no parameters; DJL's forward still asks for a store. */
    private final ParameterStore parameterStore;

    private TorchScriptModule(PtNDManager manager, PtSymbolBlock block) {
        this.manager = manager;
        this.block = block;
        this.parameterStore = new ParameterStore(manager, false);
    }

    /**
     * The module {@code className} compiled from {@code classBody} once per JVM and kept, for the parameter-free
     * one-line functions called on every forward pass (they hold no tensors and follow their inputs' device).
     *
     * @param className a Python identifier, also the cache key: one body per name
     * @param classBody the class body, as for {@link #compile}
     * @return the cached module, compiled on first use; never close it
     * @throws IllegalArgumentException when the default engine is not PyTorch
     * @throws UncheckedIOException when the temporary archive cannot be written
     */
    public static TorchScriptModule shared(String className, String classBody) {
        return SHARED.computeIfAbsent(className, n -> compile(NDManager.newBaseManager(Device.cpu()), n, classBody));
    }

    /**
     * Compiles {@code classBody} as TorchScript class {@code __torch__.<className>(Module)} and loads it.
     *
     * @param parent the manager whose device the module belongs to; the module lives in a sub-manager of it
     * @param className a Python identifier
     * @param classBody the class body in TorchScript's serialized form, indented by two spaces, e.g.
     *     {@code "  def forward(self: __torch__.Svd, x: Tensor) -> Tensor:\n    return torch.linalg_svdvals(x)\n"}
     * @return the loaded module; the caller closes it
     * @throws IllegalArgumentException when {@code parent} is not a PyTorch manager
     * @throws UncheckedIOException when the temporary archive cannot be written
     */
    public static TorchScriptModule compile(NDManager parent, String className, String classBody) {
        if (!(parent instanceof PtNDManager)) {
            throw new IllegalArgumentException("TorchScript needs the PyTorch engine, not "
                    + parent.getEngine().getEngineName());
        }
        PtNDManager manager = (PtNDManager) parent.newSubManager();
        try {
            Path archive = Files.createTempFile("sara4j-" + className, ".pt");
            try {
                Files.write(archive, archive(className, classBody));
                PtSymbolBlock block = JniUtils.loadModule(manager, archive, true, new String[0], new String[0], false);
                return new TorchScriptModule(manager, block);
            } finally {
                Files.deleteIfExists(archive);
            }
        } catch (IOException e) {
            manager.close();
            throw new UncheckedIOException("cannot write TorchScript archive for " + className, e);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Runs {@code method}, without autograd, on arguments as {@link #runInPlace} takes them, the first a tensor. The
     * results are attached to the manager of the first argument; a tuple result gives one array per element.
     *
     * @param method the name of a method defined in the class body
     * @param args the method's arguments after {@code self}
     * @return the result tensors, in order; the caller closes them (or their manager)
     * @throws IllegalArgumentException when the first argument is not a tensor or an argument has an unsupported type
     */
    public List<NDArray> run(String method, Object... args) {
        if (args.length == 0 || !(args[0] instanceof NDArray first)) {
            throw new IllegalArgumentException("TorchScript method " + method + ": the first argument must be a tensor");
        }
        PtNDManager out = (PtNDManager) first.getManager();
        try (IValue result = invoke(method, args)) {
            List<NDArray> arrays = new ArrayList<>();
            if (result.isTuple()) {
                for (IValue v : result.toIValueTuple()) {
                    try (v) {
                        arrays.add(v.toTensor(out));
                    }
                }
            } else {
                arrays.add(result.toTensor(out));
            }
            return arrays;
        }
    }

    /**
     * Runs {@code method}, without autograd, for its effect: a method that updates tensors in place (its result, if
     * any, is released). The arguments are the TorchScript values they stand for: an {@link NDArray} is a
     * {@code Tensor}, a {@code List} of NDArrays a {@code List[Tensor]} (one JNI call for the whole list), a
     * {@link Double} a {@code float}, a {@link Long} an {@code int}.
     *
     * @param method the name of a method defined in the class body
     * @param args the method's arguments after {@code self}
     * @throws IllegalArgumentException when an argument has an unsupported type
     */
    public void runInPlace(String method, Object... args) {
        invoke(method, args).close();
    }

    /**
     * Runs {@code method}, without autograd, for a scalar result, e.g. a global gradient norm.
     *
     * @param method the name of a method defined in the class body, returning a TorchScript {@code float}
     * @param args the method's arguments after {@code self}, as {@link #runInPlace} takes them
     * @return the method's result
     * @throws IllegalArgumentException when an argument has an unsupported type
     */
    public double runForDouble(String method, Object... args) {
        try (IValue result = invoke(method, args)) {
            return result.toDouble();
        }
    }

    /** Runs {@code method} without autograd on arguments as {@link #runInPlace} takes them; the caller closes it. */
    private IValue invoke(String method, Object... args) {
        IValue[] inputs = new IValue[args.length];
        try {
            for (int i = 0; i < args.length; i++) {
                inputs[i] = toIValue(method, i, args[i]);
            }
            return IValueUtils.runMethod(block, method, inputs);
        } finally {
            for (IValue v : inputs) {
                if (v != null) {
                    v.close();
                }
            }
        }
    }

    private static IValue toIValue(String method, int index, Object arg) {
        if (arg instanceof NDArray array) {
            return IValue.from((PtNDArray) array);
        } else if (arg instanceof List<?> list) {
            return IValue.listFrom(list.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
        } else if (arg instanceof Double d) {
            return IValue.from(d.doubleValue());
        } else if (arg instanceof Long l) {
            return IValue.from(l.longValue());
        }
        throw new IllegalArgumentException("TorchScript method " + method + ": argument " + index + " is "
                + (arg == null ? "null" : "a " + arg.getClass().getName())
                + ", not an NDArray, a List of NDArrays, a Double or a Long");
    }

    /**
     * Runs {@code forward} with autograd recording, so gradients flow through it back to the arguments (DJL's
     * {@code runMethod}, used by {@link #run}, always runs without). The result is attached to the first argument's
     * manager.
     *
     * @param args the tensor arguments of {@code forward}
     * @return the single tensor {@code forward} returns
     */
    public NDArray forwardRecorded(NDArray... args) {
        return block.forward(parameterStore, new NDList(args), true).singletonOrThrow();
    }

    @Override
    public void close() {
        block.close();
        manager.close();
    }

    /** The zip that {@code torch.jit.save} would write for a parameter-free module. */
    static byte[] archive(String className, String classBody) throws IOException {
        String code = "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + classBody;
        // pickle protocol 2 of: __torch__.<className> object with state {"training": True}
        ByteArrayOutputStream pickle = new ByteArrayOutputStream();
        pickle.write(new byte[] {(byte) 0x80, 2});
        pickle.writeBytes(("c__torch__\n" + className + "\nq\0)").getBytes(StandardCharsets.US_ASCII));
        pickle.write(0x81); // NEWOBJ
        pickle.writeBytes("}(X".getBytes(StandardCharsets.US_ASCII));
        pickle.writeBytes(new byte[] {8, 0, 0, 0});
        pickle.writeBytes("trainingq\1".getBytes(StandardCharsets.US_ASCII));
        pickle.write(0x88); // NEWTRUE
        pickle.writeBytes("ubq\2.".getBytes(StandardCharsets.US_ASCII));

        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        String root = className.toLowerCase(java.util.Locale.ROOT) + "/";
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            storeEntry(z, root + "data.pkl", pickle.toByteArray());
            storeEntry(z, root + "code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
            storeEntry(z, root + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            storeEntry(z, root + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return zip.toByteArray();
    }

    /** TorchScript reads entries uncompressed. */
    private static void storeEntry(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
