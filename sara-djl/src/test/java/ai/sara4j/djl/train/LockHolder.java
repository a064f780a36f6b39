package ai.sara4j.djl.train;

import java.nio.file.Path;

/** A second process for {@link RunFolderTest}: holds a run folder's lock until its standard input closes. */
final class LockHolder {
    private LockHolder() {}

    public static void main(String[] args) throws Exception {
        try (RunLock lock = RunLock.acquire(Path.of(args[0]))) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the parent to close our input (or kill us)
            }
        }
    }
}
