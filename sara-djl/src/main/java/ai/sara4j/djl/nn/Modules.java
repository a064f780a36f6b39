package ai.sara4j.djl.nn;

import ai.djl.nn.AbstractBaseBlock;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PyTorch-style dotted module paths over a DJL block tree ({@code model.layers.3.self_attn.q_proj}), and
 * replacement of the block at a path.
 *
 * <p>DJL stores a child added as {@code addChildBlock("q_proj", b)} under the key {@code "01q_proj"} (its 1-based
 * position, two digits, then the name). A path segment is that key without the position prefix; children of a
 * {@link SequentialBlock} or {@link ParallelBlock} are numbered from 0 as in {@code nn.Sequential}.
 *
 * <p>Replacement does what PyTorch's {@code setattr(parent, name, new)} does for a module kept in an attribute: it
 * swaps the entry in the parent's children list and also every field of the parent that holds the old block
 * ({@code this.fc1 = addChildBlock("fc1", new Linear…)}), final fields included. A field that holds the old block
 * but whose declared type cannot take the replacement, or a field of any other block of the tree that holds it, is
 * refused before anything changes: a forward pass through such a field would skip the replacement.
 */
public final class Modules {
    private Modules() {}

    /**
     * Every block below {@code root} (root excluded) by dotted path, parents before children.
     *
     * @param root the tree
     * @return block by path
     */
    public static Map<String, Block> named(Block root) {
        Map<String, Block> out = new LinkedHashMap<>();
        collect(root, "", out);
        return out;
    }

    private static void collect(Block block, String prefix, Map<String, Block> out) {
        BlockList children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            String path = prefix + segment(block, i, children.keyAt(i));
            Block child = children.valueAt(i);
            out.put(path, child);
            collect(child, path + ".", out);
        }
    }

    /**
     * The block at {@code path}.
     *
     * @param root the tree
     * @param path a dotted module path below {@code root}
     * @return the block there
     * @throws IllegalArgumentException for an unknown path, naming it
     */
    public static Block get(Block root, String path) {
        Block block = root;
        for (String seg : path.split("\\.")) {
            block = block.getChildren().valueAt(indexOf(block, seg, path));
        }
        return block;
    }

    /**
     * The direct child called {@code name} (a path segment) of {@code parent}: how a block that lets its children
     * be replaced looks them up at forward time.
     *
     * @param parent the block
     * @param name the child's path segment
     * @return the child
     * @throws IllegalArgumentException when there is no such child
     */
    public static Block child(Block parent, String name) {
        return parent.getChildren().valueAt(indexOf(parent, name, name));
    }

    /**
     * Replaces the block at {@code path} with {@code replacement}, keeping its place and key in the parent, and
     * reassigns the parent's fields that held it (see the class comment).
     *
     * @param root the tree
     * @param path the dotted path of the block to replace
     * @param replacement the new block
     * @throws IllegalArgumentException for an unknown path, a parent that is not an {@link AbstractBlock}, or a
     *     field that holds the old block and cannot be pointed at the replacement (nothing is changed then)
     */
    public static void replace(Block root, String path, Block replacement) {
        replaceAll(root, Map.of(path, replacement));
    }

    /**
     * Replaces several blocks at once: every replacement is checked (paths, parents, fields; see the class comment)
     * before the first one is made, so a refusal leaves the tree unchanged.
     *
     * @param root the tree
     * @param replacements new block by dotted path of the block it replaces
     * @throws IllegalArgumentException as {@link #replace}, naming the path, the block class and the field
     */
    public static void replaceAll(Block root, Map<String, ? extends Block> replacements) {
        if (replacements.isEmpty()) {
            return;
        }
        Map<Block, Swap> byOld = new IdentityHashMap<>();
        for (Map.Entry<String, ? extends Block> e : replacements.entrySet()) {
            String path = e.getKey();
            int dot = path.lastIndexOf('.');
            Block parent = dot < 0 ? root : get(root, path.substring(0, dot));
            int index = indexOf(parent, path.substring(dot + 1), path);
            liveChildren(parent, path); // fails early for a parent whose children cannot be replaced
            byOld.put(parent.getChildren().valueAt(index), new Swap(path, parent, index, e.getValue()));
        }
        findFields(root, byOld);
        for (Swap swap : byOld.values()) {
            BlockList live = liveChildren(swap.parent, swap.path);
            String key = live.keyAt(swap.index);
            live.remove(swap.index);
            live.add(swap.index, key, swap.replacement);
            for (Field f : swap.fields) {
                try {
                    f.set(swap.parent, swap.replacement);
                } catch (IllegalAccessException ex) {
                    throw new IllegalStateException("field " + describe(f) + " was checked writable", ex);
                }
            }
        }
    }

    /** One planned replacement: where, by what, and the parent's fields to reassign. */
    private static final class Swap {
        final String path;
        final Block parent;
        final int index;
        final Block replacement;
        final List<Field> fields = new ArrayList<>();

        Swap(String path, Block parent, int index, Block replacement) {
            this.path = path;
            this.parent = parent;
            this.index = index;
            this.replacement = replacement;
        }
    }

    /**
     * Finds every field of every block of the tree (root included) that holds a block about to be replaced: the
     * parent's own fields that can take the replacement are recorded for reassignment, any other is an error.
     */
    private static void findFields(Block root, Map<Block, Swap> byOld) {
        Map<String, Block> holders = new LinkedHashMap<>();
        holders.put("", root);
        named(root).forEach(holders::put);
        for (Map.Entry<String, Block> h : holders.entrySet()) {
            Block holder = h.getValue();
            for (Field f : blockFields(holder.getClass())) {
                Swap swap = byOld.get(read(f, holder));
                if (swap == null) {
                    continue;
                }
                if (holder != swap.parent) {
                    throw new IllegalArgumentException("cannot replace module '" + swap.path + "': field "
                            + describe(f) + " of " + (h.getKey().isEmpty() ? "the root block" : "module '"
                            + h.getKey() + "'") + " also holds it, and a forward pass through that field would"
                            + " skip the replacement; let only the parent hold its children, or look them up at"
                            + " forward time (Modules.child(parent, name))");
                }
                if (!f.getType().isInstance(swap.replacement)) {
                    throw new IllegalArgumentException("cannot replace module '" + swap.path + "': field "
                            + describe(f) + " is declared " + f.getType().getSimpleName() + " and cannot hold the "
                            + swap.replacement.getClass().getSimpleName() + " put in its place; declare the field as "
                            + "ai.djl.nn.Block, or look the child up at forward time (Modules.child(this, \""
                            + swap.path.substring(swap.path.lastIndexOf('.') + 1) + "\"))");
                }
                if (Modifier.isFinal(f.getModifiers())
                        && (holder.getClass().isRecord() || holder.getClass().isHidden())) {
                    throw new IllegalArgumentException("cannot replace module '" + swap.path + "': final field "
                            + describe(f) + " of a record or hidden class cannot be reassigned; make it non-final");
                }
                swap.fields.add(f);
            }
        }
    }

    /** The instance fields a block class and its superclasses declare below DJL's AbstractBlock, made accessible. */
    private static List<Field> blockFields(Class<?> type) {
        List<Field> out = new ArrayList<>();
        for (Class<?> c = type; c != null && c != AbstractBlock.class && c != AbstractBaseBlock.class
                && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                // a field the JVM will not open (a JDK class) cannot hold a block we could reassign anyway
                if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive() && f.trySetAccessible()) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    private static Object read(Field f, Object holder) {
        try {
            return f.get(holder);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("field " + describe(f) + " was made accessible", e);
        }
    }

    private static String describe(Field f) {
        return f.getDeclaringClass().getName() + "." + f.getName();
    }

    private static int indexOf(Block parent, String seg, String path) {
        BlockList children = parent.getChildren();
        for (int i = 0; i < children.size(); i++) {
            if (segment(parent, i, children.keyAt(i)).equals(seg)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no module '" + path + "' (no child '" + seg + "' in "
                + parent.getClass().getSimpleName() + ")");
    }

    private static String segment(Block parent, int index, String key) {
        if (parent instanceof SequentialBlock || parent instanceof ParallelBlock) {
            return Integer.toString(index);
        }
        // DJL's "%02d" position prefix, built without a Formatter: layers look children up on every forward
        int position = index + 1;
        String prefix = position < 10 ? "0" + position : Integer.toString(position);
        return key.startsWith(prefix) ? key.substring(prefix.length()) : key;
    }

    /** {@link Block#getChildren()} may be a copy; replacement needs the list the block forwards through. */
    private static BlockList liveChildren(Block parent, String path) {
        if (!(parent instanceof AbstractBlock)) {
            throw new IllegalArgumentException("cannot replace module '" + path + "': its parent "
                    + parent.getClass().getName() + " is not an AbstractBlock");
        }
        try {
            Field f = AbstractBlock.class.getDeclaredField("children");
            f.setAccessible(true);
            return (BlockList) f.get(parent);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's AbstractBlock.children is not accessible", e);
        }
    }
}
