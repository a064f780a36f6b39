package ai.sara4j.djl.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which rows of a batch use which adapter, as row-index arrays on the model's device: one group per distinct
 * adapter (null for the bare base) in order of first appearance, and the permutation that puts the concatenated
 * groups back in row order.
 */
final class RowRouting implements AutoCloseable {
    private final NDManager manager;
    private final int batch;
    private final List<String> adapters = new ArrayList<>();
    private final List<NDArray> rows = new ArrayList<>();
    private final NDArray inverse;

    /** Routing for {@code perRow} (an adapter name or null per row), its arrays on a sub-manager of {@code device}. */
    RowRouting(List<String> perRow, NDManager device) {
        manager = device.newSubManager();
        batch = perRow.size();
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < batch; i++) {
            groups.computeIfAbsent(perRow.get(i), k -> new ArrayList<>()).add(i);
        }
        long[] order = new long[batch];
        int next = 0;
        for (Map.Entry<String, List<Integer>> g : groups.entrySet()) {
            long[] members = g.getValue().stream().mapToLong(Integer::longValue).toArray();
            System.arraycopy(members, 0, order, next, members.length);
            next += members.length;
            adapters.add(g.getKey());
            rows.add(manager.create(members));
        }
        long[] back = new long[batch];
        for (int i = 0; i < batch; i++) {
            back[(int) order[i]] = i;
        }
        inverse = manager.create(back);
    }

    int batch() {
        return batch;
    }

    int groups() {
        return adapters.size();
    }

    /** The adapter of group {@code g}, null for the base. */
    String adapter(int g) {
        return adapters.get(g);
    }

    /** The row indices of group {@code g} (int64). */
    NDArray rows(int g) {
        return rows.get(g);
    }

    /** Position of each row in the concatenated groups (int64, batch). */
    NDArray inverse() {
        return inverse;
    }

    @Override
    public void close() {
        manager.close();
    }
}
