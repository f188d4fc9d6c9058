package io.ghmirror.cache;

import static io.ghmirror.cache.DiskStoreTest.connect;
import static io.ghmirror.cache.DiskStoreTest.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM that writes to a disk store with SIGKILL and checks that the database opens
 * again and serves only valid entries.
 */
class DiskStoreCrashTest {

    private static final long CHILD_BUDGET = 512 * 1024;
    private static final long OUTPUT_TIMEOUT_SECONDS = 60;
    private static final String END_OF_OUTPUT = "<end of output>";

    @TempDir
    Path directory;

    /**
     * Child process entry point. {@code probe DIR} opens and closes the store once and prints
     * {@code opened ENTRY_COUNT} or {@code rejected: MESSAGE}. {@code write DIR SEED} puts, reads and removes
     * entries in a loop and prints {@code wrote N} after the N-th operation.
     */
    public static final class CrashWriter {

        public static void main(String[] args) {
            Path cacheDirectory = Path.of(args[1]);
            if (args[0].equals("probe")) {
                try (DiskStore store = DiskStore.open(cacheDirectory, CHILD_BUDGET)) {
                    System.out.println("opened " + store.entryCount());
                } catch (CacheStoreException e) {
                    System.out.println("rejected: " + e.getMessage());
                }
                System.out.flush();
                return;
            }
            SplittableRandom random = new SplittableRandom(Long.parseLong(args[2]));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            try (DiskStore store = DiskStore.open(cacheDirectory, CHILD_BUDGET)) {
                System.out.println("opened " + store.entryCount());
                for (int i = 1; i <= 1_000_000 && System.nanoTime() < deadline; i++) {
                    String target = "/repos/o/r/issues/" + random.nextInt(400);
                    CacheKey key = new CacheKey(target, "variant-" + random.nextInt(3));
                    int choice = random.nextInt(10);
                    if (choice < 8) {
                        byte[] body = new byte[random.nextInt(6000)];
                        for (int b = 0; b < body.length; b++) {
                            body[b] = (byte) random.nextInt(256);
                        }
                        store.put(key, new Entry(target, 200, List.of(new Header("X-Run", args[2])),
                                body, "\"" + i + "\"", null, i));
                    } else if (choice < 9) {
                        store.get(key);
                    } else {
                        store.remove(key);
                    }
                    System.out.println("wrote " + i);
                    System.out.flush();
                }
            }
        }
    }

    /** A started child JVM with its standard output collected line by line. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final Path errorFile;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Child(Path workDirectory, String name, String... arguments) throws IOException {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED",
                    "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"),
                    CrashWriter.class.getName()));
            command.addAll(List.of(arguments));
            errorFile = workDirectory.resolve(name + ".stderr");
            process = new ProcessBuilder(command).redirectError(errorFile.toFile()).start();
            Thread.ofVirtual().name("child-output-" + name).start(this::collectOutput);
        }

        private void collectOutput() {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("output read failed: " + e);
            } finally {
                lines.add(END_OF_OUTPUT);
            }
        }

        /** Returns the first line matching the condition, failing after the timeout or at exit. */
        String awaitLine(Predicate<String> condition) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(OUTPUT_TIMEOUT_SECONDS);
            while (true) {
                long remaining = deadline - System.nanoTime();
                String line = lines.poll(Math.max(0, remaining), TimeUnit.NANOSECONDS);
                if (line == null || line.equals(END_OF_OUTPUT)) {
                    String reason = line == null ? "timed out" : "exited";
                    throw new AssertionError("child printed no expected line (" + reason + "); stderr: "
                            + Files.readString(errorFile));
                }
                if (condition.test(line)) {
                    return line;
                }
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void killedWriterLeavesValidDatabase() throws Exception {
        Path cacheDirectory = directory.resolve("cache");
        int[] killAfterOperations = {200, 1_000, 3_000};
        for (int round = 0; round < killAfterOperations.length; round++) {
            int killAfter = killAfterOperations[round];
            try (Child child = new Child(directory, "writer-" + round, "write", cacheDirectory.toString(),
                    Integer.toString(round))) {
                child.awaitLine(line -> line.startsWith("opened "));
                if (round == 0) {
                    assertThatThrownBy(() -> DiskStore.open(cacheDirectory, CHILD_BUDGET))
                            .isInstanceOf(CacheStoreException.class)
                            .hasMessageContaining("is already in use by another github-mirror process");
                }
                child.awaitLine(line -> line.startsWith("wrote ")
                        && Integer.parseInt(line.substring("wrote ".length())) >= killAfter);

                child.process.destroyForcibly();
                assertThat(child.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(child.process.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
            }

            verifyEveryEntryDecodes(cacheDirectory);
        }
    }

    private static void verifyEveryEntryDecodes(Path cacheDirectory) throws Exception {
        List<CacheKey> keys = new ArrayList<>();
        long rowBytes = 0;
        try (DiskStore store = DiskStore.open(cacheDirectory, CHILD_BUDGET)) {
            try (Connection connection = connect(store.databaseFile());
                    Statement statement = connection.createStatement()) {
                try (ResultSet rows = statement.executeQuery("PRAGMA integrity_check")) {
                    rows.next();
                    assertThat(rows.getString(1)).isEqualTo("ok");
                }
                try (ResultSet rows = statement.executeQuery("SELECT variant, target, size, data FROM entries")) {
                    while (rows.next()) {
                        CacheKey key = new CacheKey(rows.getString(2), rows.getString(1));
                        byte[] data = rows.getBytes(4);
                        assertThat(data).hasSize(rows.getInt(3));
                        assertThat(EntryCodec.decode(data).target()).isEqualTo(key.target());
                        keys.add(key);
                        rowBytes += data.length;
                    }
                }
                assertThat(queryLong(connection, "SELECT count(*) FROM entries")).isEqualTo(keys.size());
            }

            assertThat(keys).isNotEmpty();
            assertThat(store.entryCount()).isEqualTo(keys.size());
            assertThat(store.sizeBytes()).isEqualTo(rowBytes).isLessThanOrEqualTo(CHILD_BUDGET);
            for (CacheKey key : keys) {
                assertThat(store.get(key)).as("entry %s", key).isPresent();
            }
            assertThat(store.counters().corrupt.sum()).isZero();
            assertThat(store.counters().errors.sum()).isZero();
        }
    }

    private static boolean isProbeResult(String line) {
        return line.startsWith("opened") || line.startsWith("rejected: ");
    }

    @Test
    void lockHeldInThisJvmRejectsOtherProcess() throws Exception {
        Path cacheDirectory = directory.resolve("cache");
        try (DiskStore store = DiskStore.open(cacheDirectory, CHILD_BUDGET)) {
            store.put(new CacheKey("/a", "variant-1"),
                    new Entry("/a", 200, List.of(), new byte[1], "\"1\"", null, 1));

            // A failed second open in this JVM must not release the OS lock held by the first.
            assertThatThrownBy(() -> DiskStore.open(cacheDirectory, CHILD_BUDGET))
                    .isInstanceOf(CacheStoreException.class);

            try (Child probe = new Child(directory, "probe-locked", "probe", cacheDirectory.toString())) {
                String line = probe.awaitLine(DiskStoreCrashTest::isProbeResult);

                assertThat(line)
                        .startsWith("rejected: Cache directory " + cacheDirectory.toRealPath())
                        .contains("is already in use by another github-mirror process")
                        .contains(DiskDirectoryLock.LOCK_FILE_NAME);
            }
        }

        try (Child probe = new Child(directory, "probe-free", "probe", cacheDirectory.toString())) {
            String line = probe.awaitLine(DiskStoreCrashTest::isProbeResult);

            assertThat(line).isEqualTo("opened 1");
        }
    }
}
