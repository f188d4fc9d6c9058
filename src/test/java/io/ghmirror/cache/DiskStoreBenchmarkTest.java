package io.ghmirror.cache;

import static io.ghmirror.cache.DiskStoreTest.connect;
import static io.ghmirror.cache.DiskStoreTest.entry;
import static io.ghmirror.cache.DiskStoreTest.key;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Timings behind the disk store's design choices, printed to the test output. Run with
 * {@code ./mvnw -q -B test -Dtest=DiskStoreBenchmarkTest -DdiskBenchmark=true}. The numbers
 * land in {@code target/surefire-reports/io.ghmirror.cache.DiskStoreBenchmarkTest-output.txt}.
 */
@EnabledIfSystemProperty(named = "diskBenchmark", matches = "true")
class DiskStoreBenchmarkTest {

    private static final int ENTRIES = 100_000;
    private static final int READS = 20_000;

    @TempDir
    Path directory;

    private static String target(int i) {
        return "/repos/owner/repo/issues/" + i;
    }

    private static void fill(Path databaseFile) throws Exception {
        try (Connection connection = connect(databaseFile);
                PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO entries (variant, target, size, stored_at, accessed_at, data)"
                                + " VALUES (?, ?, ?, ?, ?, ?)")) {
            connection.setAutoCommit(false);
            for (int i = 0; i < ENTRIES; i++) {
                byte[] data = EntryCodec.encode(entry(target(i), 1024));
                insert.setString(1, "variant-1");
                insert.setString(2, target(i));
                insert.setLong(3, data.length);
                insert.setLong(4, i);
                insert.setLong(5, i);
                insert.setBytes(6, data);
                insert.executeUpdate();
            }
            connection.commit();
        }
    }

    private static void report(String what, long nanos, int operations) {
        System.out.printf("%-44s %8.1f ms total, %8.2f us per operation%n",
                what, nanos / 1e6, nanos / 1e3 / operations);
    }

    @Test
    void measureOpenReadsAndWrites() throws Exception {
        Path databaseFile;
        try (DiskStore store = DiskStore.open(directory, Long.MAX_VALUE)) {
            databaseFile = store.databaseFile();
        }
        fill(databaseFile);
        System.out.printf("%d entries of %d bytes, %d processors, %s%n", ENTRIES,
                EntryCodec.encode(entry(target(0), 1024)).length,
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"));

        long start = System.nanoTime();
        DiskStore store = DiskStore.open(directory, Long.MAX_VALUE);
        report("open with " + ENTRIES + " entries", System.nanoTime() - start, 1);
        try {
            assertThat(store.entryCount()).isEqualTo(ENTRIES);

            for (int i = 0; i < READS; i++) {
                store.get(key(target(i * 5)));
            }
            start = System.nanoTime();
            for (int i = 0; i < READS; i++) {
                store.get(key(target(i * 5 + 1)));
            }
            report("get, access time recorded in memory", System.nanoTime() - start, READS);

            try (Connection touch = connect(databaseFile);
                    PreparedStatement update = touch.prepareStatement(
                            "UPDATE entries SET accessed_at = ? WHERE variant = ? AND target = ?")) {
                try (Statement pragma = touch.createStatement()) {
                    pragma.execute("PRAGMA synchronous = NORMAL");
                }
                start = System.nanoTime();
                for (int i = 0; i < READS; i++) {
                    store.get(key(target(i * 5 + 2)));
                    update.setLong(1, System.currentTimeMillis());
                    update.setString(2, "variant-1");
                    update.setString(3, target(i * 5 + 2));
                    update.executeUpdate();
                }
                report("get plus one UPDATE commit per read", System.nanoTime() - start, READS);
            }

            start = System.nanoTime();
            for (int i = 0; i < READS; i++) {
                store.put(key(target(i * 5 + 3)), entry(target(i * 5 + 3), 1024));
            }
            report("put, replacing", System.nanoTime() - start, READS);
        } finally {
            start = System.nanoTime();
            store.close();
            report("close, flushing access times", System.nanoTime() - start, 1);
        }
    }
}
