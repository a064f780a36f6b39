package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.sara4j.core.io.AtomicFiles;
import ai.sara4j.core.peft.PeftConfig;
import ai.sara4j.core.safetensors.SafetensorsFile;
import ai.sara4j.core.safetensors.SafetensorsWriter;
import ai.sara4j.core.target.TargetMatcher;
import ai.sara4j.djl.nn.Modules;
import ai.sara4j.djl.svd.EngineSvd;
import ai.sara4j.djl.train.StepHook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A model with adapters in it: PEFT's {@code PeftModel}, what {@link Adapters#inject} and {@link Adapters#load}
 * return. It holds one or more named adapters on the same base (the first is called {@value #DEFAULT}); one is
 * active: it is the one the forward pass applies, trains (only its tensors require gradients), saves, merges and
 * exports, and the one {@link #layers()}, {@link #config()}, {@link #ranks()} and the trainable-parameter methods
 * describe.
 *
 * <p>Lifecycle, as PEFT's verbs: {@link #merge()}/{@link #unmerge()} (exact: W0 is kept while merged),
 * {@link #mergeAndUnload()} (the plain model with ΔW folded into its Linears), {@link #unload()} (the plain model,
 * bit-identical to before injection), {@link #disabled()} (a scope in which forward passes skip every adapter),
 * {@link #perRowAdapters} (a scope in which each batch row uses its own adapter, for inference),
 * {@link #trainableSummary()}. After {@code unload} or {@code mergeAndUnload} this object is spent.
 */
public final class AdaptedModel {
    /** The name of the first adapter, as in PEFT. */
    public static final String DEFAULT = "default";
    /** The name that puts a row on the bare base in {@link #perRowAdapters} (null does too), as PEFT's. */
    public static final String BASE = "__base__";

    private final Block model;
    /** The blocks in place of the adapted Linears, by module path. */
    private final Map<String, AdaptedLinear> modules = new LinkedHashMap<>();
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    /** Base parameters that required gradients before injection, unfrozen again by the unload verbs. */
    private final Set<Parameter> trainableBefore = Collections.newSetFromMap(new IdentityHashMap<>());
    private String active;
    private Scope scope;
    private boolean spent;

    /** One named adapter: its configuration and its layers by module path, in model order. */
    private record Adapter(AdapterConfig config, Map<String, AdapterLayer> layers) {}

    /**
     * A scope that changes how the forward pass uses the adapters until it is closed: try-with-resources.
     */
    public interface Scope extends AutoCloseable {
        /** Ends the scope, restoring the forward pass. */
        @Override
        void close();
    }

    private AdaptedModel(Block model) {
        this.model = model;
        model.getParameters().values().stream().filter(Parameter::requiresGradient).forEach(trainableBefore::add);
    }

    /** {@code model} with freshly initialised adapters from {@code config}, named {@value #DEFAULT}. */
    static AdaptedModel inject(Block model, AdapterConfig config) {
        AdaptedModel adapted = new AdaptedModel(model);
        adapted.addAdapter(DEFAULT, config);
        adapted.start();
        return adapted;
    }

    /** {@code model} with the adapter saved in {@code folder}, named {@value #DEFAULT}. */
    static AdaptedModel load(Block model, Path folder) throws IOException {
        AdaptedModel adapted = new AdaptedModel(model);
        adapted.loadAdapter(DEFAULT, folder);
        adapted.start();
        return adapted;
    }

    /** Freezes every base parameter and makes {@value #DEFAULT} the active adapter. */
    private void start() {
        model.getParameters().values().forEach(p -> p.freeze(true));
        setAdapter(DEFAULT);
    }

    /**
     * The model the adapters live in.
     *
     * @return the root block, the one injection was given
     */
    public Block model() {
        return model;
    }

    /**
     * The active adapter's configuration.
     *
     * @return its config
     */
    public AdapterConfig config() {
        return current().config();
    }

    /**
     * The active adapter's layers.
     *
     * @return adapter layer by module path, in model order
     */
    public Map<String, AdapterLayer> layers() {
        return current().layers();
    }

    /**
     * The rank of each module of the active adapter.
     *
     * @return rank by module path
     */
    public Map<String, Integer> ranks() {
        Map<String, Integer> out = new LinkedHashMap<>();
        layers().forEach((k, v) -> out.put(k, v.rank()));
        return out;
    }

    /**
     * The trainable parameters: the active adapter's, in module order (the optimizer's set).
     *
     * @return the parameters that require gradients
     */
    public List<Parameter> trainableParameters() {
        List<Parameter> out = new ArrayList<>();
        for (AdapterLayer layer : layers().values()) {
            layer.tensors().values().stream().filter(Parameter::requiresGradient).forEach(out::add);
        }
        return out;
    }

    /**
     * The number of trainable scalars (the active adapter's).
     *
     * @return the count
     */
    public long trainableCount() {
        return layers().values().stream().mapToLong(AdapterLayer::trainableCount).sum();
    }

    /**
     * PEFT's {@code print_trainable_parameters}: trainable scalars against every scalar of the model (base and all
     * adapters, a shared parameter counted once).
     *
     * @return the summary; its {@code toString} is PEFT's line
     */
    public TrainableSummary trainableSummary() {
        // by array, not by Parameter: a tied output layer is its own Parameter over the embedding's array
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long total = 0;
        long trainable = 0;
        for (Parameter p : model.getParameters().values()) {
            if (seen.add(p.getArray())) {
                long n = p.getArray().size();
                total += n;
                trainable += p.requiresGradient() ? n : 0;
            }
        }
        return new TrainableSummary(trainable, total);
    }

    // ---- named adapters ----

    /**
     * The adapters' names.
     *
     * @return the names in the order the adapters were added
     */
    public List<String> adapterNames() {
        requireUsable();
        return List.copyOf(adapters.keySet());
    }

    /**
     * The active adapter's name.
     *
     * @return its name
     */
    public String activeAdapter() {
        requireUsable();
        return active;
    }

    /**
     * Adds a freshly initialised adapter (PEFT's {@code add_adapter}); it does not become active. Its targets may
     * differ from the other adapters': a module adapted by one and not by another runs as the base for the other.
     *
     * @param name the new adapter's name (no dots, not {@value AdaptedLinear#BASE_LAYER} or {@value #BASE})
     * @param config its configuration
     * @throws IllegalArgumentException for a taken or unusable name, or targets that do not fit the model
     * @throws IllegalStateException for a block tree that cannot be adapted (named in the message)
     */
    public void addAdapter(String name, AdapterConfig config) {
        requireUsable();
        requireNewName(name);
        AdapterMethod method = AdapterMethods.byName(config.method());
        Map<String, Block> targets = Adapters.targets(model, config);
        NDManager manager = baseOf(targets.values().iterator().next()).getParameters().get("weight").getArray()
                .getManager();
        try (EngineSvd svd = EngineSvd.create(manager)) {
            attach(name, config, method, targets, LayerInit.fresh(config.seed(), svd));
        }
    }

    /**
     * Loads a saved adapter folder ({@code adapter_config.json} + {@code adapter_model.safetensors}, SARA4J's or a
     * PEFT LoRA from Python) as another adapter (PEFT's {@code load_adapter}); it does not become active. Shapes
     * must fit, every tensor must be present and every tensor in the file must be used.
     *
     * @param name the new adapter's name
     * @param folder the adapter folder
     * @throws IOException for an unreadable folder, a missing or misshapen tensor, or unused tensors (named)
     * @throws IllegalArgumentException for a taken name or a config this library cannot honour
     */
    public void loadAdapter(String name, Path folder) throws IOException {
        requireUsable();
        requireNewName(name);
        PeftConfig file = PeftConfig.read(folder);
        Path configFile = folder.resolve(PeftConfig.FILE_NAME);
        AdapterMethod method = AdapterMethods.forConfig(file, configFile);
        AdapterConfig config;
        try {
            config = method.readConfig(file);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configFile + ": " + e.getMessage(), e);
        }
        Path weights = folder.resolve(Adapters.WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new IOException(folder + ": no " + Adapters.WEIGHTS_FILE + " (only safetensors adapters are supported)");
        }
        Adapter adapter = attach(name, config, method, Adapters.targets(model, config), LayerInit.forLoading());
        try (SafetensorsFile tensors = SafetensorsFile.open(weights)) {
            Map<String, String> unused = new LinkedHashMap<>();
            tensors.tensors().keySet().forEach(n -> unused.put(n, n));
            for (Map.Entry<String, AdapterLayer> e : adapter.layers().entrySet()) {
                for (Map.Entry<String, Parameter> t : e.getValue().tensors().entrySet()) {
                    String tensor = Adapters.PEFT_PREFIX + e.getKey() + "." + t.getKey();
                    TensorLoader.fill(tensors, tensor, t.getValue());
                    unused.remove(tensor);
                }
            }
            if (!unused.isEmpty()) {
                throw new IOException(weights + ": tensor '" + unused.keySet().iterator().next()
                        + "' does not belong to any adapted module of this model (" + unused.size()
                        + " unused tensors; does target_modules fit this model?)");
            }
        } catch (IOException | RuntimeException e) {
            detach(name);
            throw e;
        }
    }

    /**
     * Makes {@code name} the active adapter (PEFT's {@code set_adapter}): the forward pass applies it, only its
     * tensors require gradients, and the single-adapter methods of this class act on it.
     *
     * @param name an adapter's name
     * @throws IllegalArgumentException for an unknown name
     * @throws IllegalStateException while the active adapter is merged or a scope is open
     */
    public void setAdapter(String name) {
        requireUsable();
        Adapter next = adapter(name);
        if (name.equals(active)) {
            return;
        }
        requireNoScope("switch adapters");
        if (active != null) {
            if (isMerged()) {
                throw new IllegalStateException("adapter '" + active + "' is merged: unmerge() before switching to '"
                        + name + "'");
            }
            current().layers().values().forEach(l -> l.setTrainable(false));
        }
        active = name;
        next.layers().values().forEach(l -> l.setTrainable(true));
        modules.values().forEach(m -> m.activate(name));
    }

    /**
     * Removes an adapter and frees its tensors (PEFT's {@code delete_adapter}); a module no adapter adapts any more
     * gets its original Linear back. Deleting the active adapter makes the first remaining one active.
     *
     * @param name an adapter's name
     * @throws IllegalArgumentException for an unknown name
     * @throws IllegalStateException for the only adapter (use {@link #unload()}), a merged active adapter, or an open
     *     scope
     */
    public void deleteAdapter(String name) {
        requireUsable();
        adapter(name);
        if (adapters.size() == 1) {
            throw new IllegalStateException("'" + name + "' is the only adapter: unload() removes it");
        }
        requireNoScope("delete an adapter");
        if (name.equals(active)) {
            setAdapter(adapters.keySet().stream().filter(n -> !n.equals(name)).findFirst().orElseThrow());
        }
        detach(name);
    }

    /**
     * Saves an adapter as a normal adapter folder: tensor names carry no adapter name
     * ({@code base_model.model.<module>.lora_A.weight}), so the folder loads with {@link Adapters#load} or PEFT.
     *
     * @param name an adapter's name
     * @param folder written atomically
     * @throws IOException when writing fails
     */
    public void save(String name, Path folder) throws IOException {
        requireUsable();
        Adapter adapter = adapter(name);
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        adapter.layers().forEach((module, layer) -> layer.tensors().forEach((tensor, p) ->
                add(writer, Adapters.PEFT_PREFIX + module + "." + tensor, p.getArray())));
        PeftConfig file = peftConfig(adapter);
        AtomicFiles.writeFolder(folder, tmp -> {
            file.write(tmp);
            writer.write(tmp.resolve(Adapters.WEIGHTS_FILE));
        });
    }

    /**
     * Saves the active adapter: {@code adapter_config.json} and {@code adapter_model.safetensors}, atomically.
     *
     * @param folder the adapter folder to write
     * @throws IOException when writing fails
     */
    public void save(Path folder) throws IOException {
        save(activeAdapter(), folder);
    }

    // ---- merge, unload ----

    /**
     * Folds the active adapter's ΔW into the base weights (LoRA, SARA, SoRA, EDoRA); the forward pass then skips it.
     * W0 is kept meanwhile (one copy of each adapted weight) so that {@link #unmerge()} and {@link #unload()} give
     * the base weights back bit for bit; {@link #mergeAndUnload()} keeps no copy.
     *
     * @throws UnsupportedOperationException for Mo-SARA, with the reason (nothing is changed)
     * @throws IllegalStateException when already merged or a scope is open
     */
    public void merge() {
        requireNoScope("merge");
        layers().values().forEach(AdapterLayer::merge);
    }

    /**
     * Undoes {@link #merge()}, exactly.
     *
     * @throws IllegalStateException when not merged
     */
    public void unmerge() {
        layers().values().forEach(AdapterLayer::unmerge);
    }

    /**
     * Whether the active adapter is merged into the base weights.
     *
     * @return true after {@link #merge()} until {@link #unmerge()}
     */
    public boolean isMerged() {
        return layers().values().stream().anyMatch(AdapterLayer::isMerged);
    }

    /**
     * PEFT's {@code merge_and_unload}: folds the active adapter into the base weights for good and puts each
     * module's original {@link Linear} back (its weight now W0 + ΔW, in its dtype), dropping every adapter. The
     * model is then a plain DJL model, as fast as the base; base parameters get back the trainability they had
     * before injection. This object is spent afterwards.
     *
     * @return the model (the same root block)
     * @throws UnsupportedOperationException for Mo-SARA, with the reason (nothing is changed)
     */
    public Block mergeAndUnload() {
        requireUsable();
        requireNoScope("merge and unload");
        layers().values().forEach(AdapterLayer::mergeForGood);
        return release();
    }

    /**
     * PEFT's {@code unload}: puts each module's original {@link Linear} back and drops every adapter. A merged
     * adapter is unmerged first, which is exact (W0 was kept), so the model's outputs are bit-identical to those of
     * the model before injection; base parameters get back the trainability they had. This object is spent
     * afterwards.
     *
     * @return the model (the same root block)
     */
    public Block unload() {
        requireUsable();
        requireNoScope("unload");
        if (isMerged()) {
            unmerge();
        }
        return release();
    }

    private Block release() {
        Map<String, Block> bases = new LinkedHashMap<>();
        modules.forEach((path, m) -> bases.put(path, m.base()));
        Modules.replaceAll(model, bases);
        adapters.values().forEach(a -> a.layers().values().forEach(AdapterLayer::discard));
        adapters.clear();
        modules.clear();
        trainableBefore.forEach(p -> p.freeze(false));
        spent = true;
        return model;
    }

    // ---- scopes ----

    /**
     * PEFT's {@code disable_adapter()}: until the scope is closed, forward passes skip every adapter and equal the
     * base model's ({@code try (var off = adapted.disabled()) { ... }}).
     *
     * @return the scope
     * @throws IllegalStateException while merged (the base weights hold ΔW) or another scope is open
     */
    public Scope disabled() {
        requireUsable();
        requireNoScope("disable adapters");
        if (isMerged()) {
            throw new IllegalStateException("adapter '" + active + "' is merged into the base weights: unmerge() "
                    + "before disabling adapters");
        }
        modules.values().forEach(m -> m.setDisabled(true));
        return open(() -> modules.values().forEach(m -> m.setDisabled(false)));
    }

    /**
     * PEFT's {@code adapter_names} argument: until the scope is closed, row {@code i} of every batch goes through
     * adapter {@code perRow.get(i)} ({@link #BASE} or null: the bare base). Each adapted module computes the base
     * output once for the whole batch and adds each adapter's path on its rows only. For inference: a training
     * forward pass is refused. Generation with the key/value cache works inside the scope (every step has the same
     * rows): {@code try (var rows = adapted.perRowAdapters(names)) { lm.generate(prompts, options); }}.
     *
     * @param perRow an adapter name (or {@link #BASE}/null) per batch row
     * @return the scope
     * @throws IllegalArgumentException for an unknown adapter name (with its row)
     * @throws IllegalStateException while merged or another scope is open
     */
    public Scope perRowAdapters(List<String> perRow) {
        requireUsable();
        requireNoScope("route rows to adapters");
        if (isMerged()) {
            throw new IllegalStateException("adapter '" + active + "' is merged into the base weights: unmerge() "
                    + "before routing rows to adapters");
        }
        List<String> names = new ArrayList<>(perRow.size());
        for (int i = 0; i < perRow.size(); i++) {
            String name = perRow.get(i);
            if (name != null && !name.equals(BASE) && !adapters.containsKey(name)) {
                throw new IllegalArgumentException("row " + i + ": no adapter '" + name + "' (adapters: "
                        + adapters.keySet() + ", or " + BASE + " for the base)");
            }
            names.add(BASE.equals(name) ? null : name);
        }
        AdaptedLinear any = modules.values().iterator().next();
        RowRouting routing = new RowRouting(names, any.base().getParameters().get("weight").getArray().getManager());
        modules.values().forEach(m -> m.setRows(routing));
        return open(() -> {
            modules.values().forEach(m -> m.setRows(null));
            routing.close();
        });
    }

    private Scope open(Runnable onClose) {
        Scope opened = new Scope() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    scope = null;
                    onClose.run();
                }
            }
        };
        scope = opened;
        return opened;
    }

    // ---- reached marks ----

    /**
     * Fails when a module of the active adapter was not reached by any forward pass since the last check or
     * {@link #resetReached()}, then resets the marks. A training loop calls it after a step: an adapter the forward
     * pass never reaches (a block forwarding through a reference to the original Linear) would otherwise train
     * nothing, silently or with libtorch's "element 0 of tensors does not require grad".
     *
     * @throws IllegalStateException naming the unreached modules
     */
    public void requireAllReached() {
        List<String> missed = layers().keySet().stream().filter(m -> !modules.get(m).reached()).toList();
        resetReached();
        if (!missed.isEmpty()) {
            throw new IllegalStateException("the forward pass never reached the adapter '" + active + "' on module '"
                    + missed.get(0) + "'" + (missed.size() > 1 ? " (nor on " + (missed.size() - 1) + " more: "
                    + missed.subList(1, missed.size()) + ")" : "") + ": something calls the original Linear "
                    + "directly, not the block in its place; look children up at forward time "
                    + "(Modules.child(this, name)) or keep them in fields declared as ai.djl.nn.Block");
        }
    }

    /** Clears the reached marks of every adapted module. */
    public void resetReached() {
        modules.values().forEach(AdaptedLinear::clearReached);
    }

    // ---- the active adapter's files ----

    /**
     * The method's work after each optimizer update ({@link AdapterMethod#stepHooks}), for the training loop to
     * run; empty for most methods.
     *
     * @return the active adapter's hooks
     */
    public List<StepHook> stepHooks() {
        return AdapterMethods.byName(config().method()).stepHooks(this);
    }

    /**
     * The {@code adapter_config.json} describing the active adapter.
     *
     * @return the config file's content
     */
    public PeftConfig peftConfig() {
        return peftConfig(current());
    }

    private static PeftConfig peftConfig(Adapter adapter) {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        adapter.layers().forEach((k, v) -> ranks.put(k, v.rank()));
        PeftConfig file = adapter.config().toPeft(ranks);
        // PEFT saves all-linear as the full names it stood for
        TargetMatcher targets = adapter.config().targets();
        return targets.isAllLinear() ? file.targetModules(targets.resolveAllLinear(adapter.layers().keySet())) : file;
    }

    /**
     * Overwrites every tensor of the active adapter with the values {@link #save} wrote into {@code folder} (a
     * training checkpoint of the same adapter).
     *
     * @param folder the adapter folder
     * @throws IOException for a missing tensor or a shape mismatch, naming the file and tensor
     */
    public void restore(Path folder) throws IOException {
        try (SafetensorsFile tensors = SafetensorsFile.open(folder.resolve(Adapters.WEIGHTS_FILE))) {
            for (Map.Entry<String, AdapterLayer> e : layers().entrySet()) {
                for (Map.Entry<String, Parameter> t : e.getValue().tensors().entrySet()) {
                    TensorLoader.fill(tensors, Adapters.PEFT_PREFIX + e.getKey() + "." + t.getKey(), t.getValue());
                }
            }
        }
    }

    /**
     * Writes the active adapter as a PEFT LoRA adapter with the same update: per module lora_A (r×in) and lora_B
     * (out×r) from {@link AdapterLayer#asLora()}, each module keeping its own rank through {@code rank_pattern} and
     * scaling 1 through {@code alpha_pattern} (alpha = r). A module whose pair has rank 0 (a SoRA module whose gates
     * are all zero) has no update and is left out, {@code target_modules} then listing the exported modules by path.
     * When the layers are DoRA-shaped ({@link AdapterLayer#peftMagnitude()}, EDoRA) the folder is a PEFT DoRA
     * adapter ({@code use_dora: true} and {@code lora_magnitude_vector} per module). Mo-SARA cannot be expressed
     * this way and is refused.
     *
     * @param folder the folder to write
     * @param baseModel written as {@code base_model_name_or_path} (may be null)
     * @throws IOException when writing fails
     */
    public void exportPeft(Path folder, String baseModel) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, Double> alphas = new LinkedHashMap<>();
        int dora = 0;
        for (Map.Entry<String, AdapterLayer> e : layers().entrySet()) {
            String prefix = Adapters.PEFT_PREFIX + e.getKey() + ".";
            try (NDList lora = e.getValue().asLora()) {
                int r = Math.toIntExact(lora.get(0).getShape().get(0));
                if (r == 0) {
                    continue;
                }
                add(writer, prefix + "lora_A.weight", lora.get(0));
                add(writer, prefix + "lora_B.weight", lora.get(1));
                ranks.put(e.getKey(), r);
                alphas.put(e.getKey(), (double) r);
            }
            Optional<NDArray> magnitude = e.getValue().peftMagnitude();
            if (magnitude.isPresent()) {
                try (NDArray m = magnitude.get()) {
                    add(writer, prefix + "lora_magnitude_vector", m);
                }
                dora++;
            }
        }
        if (ranks.isEmpty()) {
            throw new IllegalStateException("nothing to export: every adapted module has rank 0");
        }
        if (dora != 0 && dora != ranks.size()) {
            throw new IllegalStateException("cannot export a mix of DoRA and plain LoRA modules as one PEFT adapter");
        }
        AdapterConfig config = config();
        TargetMatcher targets = ranks.size() == layers().size() && !config.targets().isAllLinear() ? config.targets()
                : TargetMatcher.names(new ArrayList<>(ranks.keySet()));
        int maxRank = ranks.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        PeftConfig file = PeftConfig.create("LORA").r(maxRank).loraAlpha(maxRank).loraDropout(config.dropout())
                .useDora(dora > 0).targetModules(targets).rankPattern(ranks).alphaPattern(alphas)
                .baseModelNameOrPath(baseModel);
        AtomicFiles.writeFolder(folder, tmp -> {
            file.write(tmp);
            writer.write(tmp.resolve(Adapters.WEIGHTS_FILE));
        });
    }

    // ---- wiring ----

    /**
     * Puts a new adapter called {@code name} on {@code targets} (Linears, or modules other adapters already adapt):
     * the Linears are replaced by {@link AdaptedLinear}s (refused before any change when a field of the tree would
     * keep forwarding through the Linear), then each module gets its layer, frozen until the adapter is activated.
     */
    private Adapter attach(String name, AdapterConfig config, AdapterMethod method, Map<String, Block> targets,
            LayerInit init) {
        Map<String, AdaptedLinear> fresh = new LinkedHashMap<>();
        targets.forEach((path, block) -> {
            if (block instanceof Linear linear) {
                fresh.put(path, new AdaptedLinear(path, linear));
            }
        });
        Modules.replaceAll(model, fresh);
        Map<String, AdapterLayer> layers = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Block> t : targets.entrySet()) {
                AdaptedLinear host = fresh.containsKey(t.getKey()) ? fresh.get(t.getKey()) : (AdaptedLinear) t.getValue();
                AdapterLayer layer = method.newLayer(t.getKey(), host.base(), config, init);
                layer.setTrainable(false);
                host.add(name, layer);
                layers.put(t.getKey(), layer);
            }
        } catch (RuntimeException e) {
            layers.forEach((path, layer) -> {
                layer.discard();
                (fresh.containsKey(path) ? fresh.get(path) : (AdaptedLinear) targets.get(path)).remove(name);
            });
            Map<String, Block> bases = new LinkedHashMap<>();
            fresh.forEach((path, m) -> bases.put(path, m.base()));
            Modules.replaceAll(model, bases);
            throw e;
        }
        modules.putAll(fresh);
        fresh.values().forEach(m -> m.activate(active));
        Adapter adapter = new Adapter(config, Collections.unmodifiableMap(layers));
        adapters.put(name, adapter);
        return adapter;
    }

    /** Removes adapter {@code name} (not the active one) and frees its tensors; modules left bare get their Linear back. */
    private void detach(String name) {
        Adapter adapter = adapters.remove(name);
        Map<String, Block> bare = new LinkedHashMap<>();
        adapter.layers().forEach((path, layer) -> {
            AdaptedLinear host = modules.get(path);
            host.remove(name);
            layer.discard();
            if (host.adapters().isEmpty()) {
                bare.put(path, host.base());
            }
        });
        Modules.replaceAll(model, bare);
        bare.keySet().forEach(modules::remove);
    }

    private Adapter current() {
        requireUsable();
        return adapters.get(active);
    }

    private Adapter adapter(String name) {
        Adapter adapter = adapters.get(name);
        if (adapter == null) {
            throw new IllegalArgumentException("no adapter '" + name + "' (adapters: " + adapters.keySet() + ")");
        }
        return adapter;
    }

    private void requireNewName(String name) {
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("there is already an adapter '" + name + "'");
        }
        if (name.isEmpty() || name.contains(".") || name.equals(AdaptedLinear.BASE_LAYER) || name.equals(BASE)) {
            throw new IllegalArgumentException("adapter name '" + name + "' is not usable: it must be non-empty, "
                    + "without dots, and neither " + AdaptedLinear.BASE_LAYER + " nor " + BASE);
        }
    }

    private void requireUsable() {
        if (spent) {
            throw new IllegalStateException("the adapters were unloaded: this AdaptedModel is spent");
        }
    }

    private void requireNoScope(String what) {
        if (scope != null) {
            throw new IllegalStateException("cannot " + what + " while a disabled() or perRowAdapters() scope is open");
        }
    }

    private static Block baseOf(Block target) {
        return target instanceof AdaptedLinear m ? m.base() : target;
    }

    /** Adds an adapter tensor as F32 (F64 adapters, used in gradient checks, stay F64). */
    private static void add(SafetensorsWriter writer, String name, NDArray array) {
        long[] shape = array.getShape().getShape();
        if (array.getDataType() == DataType.FLOAT64) {
            writer.addDoubles(name, shape, array.toDoubleArray());
        } else {
            writer.addFloats(name, shape, array.toFloatArray());
        }
    }
}
