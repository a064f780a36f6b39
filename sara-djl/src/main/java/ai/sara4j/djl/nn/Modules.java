package ai.sara4j.djl.nn;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PyTorch-style dotted module paths over a DJL block tree ({@code model.layers.3.self_attn.q_proj}), and
 * replacement of the block at a path.
 *
 * <p>DJL stores a child added as {@code addChildBlock("q_proj", b)} under the key {@code "01q_proj"} (its 1-based
 * position, two digits, then the name). A path segment is that key without the position prefix; children of a
 * {@link SequentialBlock} or {@link ParallelBlock} are numbered from 0 as in {@code nn.Sequential}.
 *
 * <p>Blocks whose children can be replaced must look them up at forward time ({@link #child}) rather than keep them
 * in fields: {@link #replace} swaps the entry in the parent's children list.
 */
public final class Modules {
    private Modules() {}

    /** Every block below {@code root} (root excluded) by dotted path, parents before children. */
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

    /** The block at {@code path}; an unknown path is an error naming it. */
    public static Block get(Block root, String path) {
        Block block = root;
        for (String seg : path.split("\\.")) {
            block = block.getChildren().valueAt(indexOf(block, seg, path));
        }
        return block;
    }

    /** The direct child called {@code name} (a path segment) of {@code parent}. */
    public static Block child(Block parent, String name) {
        return parent.getChildren().valueAt(indexOf(parent, name, name));
    }

    /** Replaces the block at {@code path} with {@code replacement}, keeping its place and key in the parent. */
    public static void replace(Block root, String path, Block replacement) {
        int dot = path.lastIndexOf('.');
        Block parent = dot < 0 ? root : get(root, path.substring(0, dot));
        String seg = path.substring(dot + 1);
        BlockList children = parent.getChildren();
        int i = indexOf(parent, seg, path);
        String key = children.keyAt(i);
        BlockList live = liveChildren(parent);
        live.remove(i);
        live.add(i, key, replacement);
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
    private static BlockList liveChildren(Block parent) {
        if (!(parent instanceof AbstractBlock)) {
            throw new IllegalArgumentException("cannot replace children of " + parent.getClass().getName()
                    + ": not an AbstractBlock");
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
