package io.ghmirror.cache;

import static io.ghmirror.cache.DiskStoreTest.connect;
import static io.ghmirror.cache.DiskStoreTest.entry;
import static io.ghmirror.cache.DiskStoreTest.key;
import static io.ghmirror.cache.DiskStoreTest.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskStoreFaultTest {

    private static final long BUDGET = 64L << 20;

    @TempDir
    Path directory;

    private static byte[] storedData(Connection connection, CacheKey key) throws Exception {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT data FROM entries WHERE variant = ? AND target = ?")) {
            select.setString(1, key.variant());
            select.setString(2, key.target());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? rows.getBytes(1) : null;
            }
        }
    }

    private static void replaceData(Connection connection, CacheKey key, byte[] data) throws Exception {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE entries SET data = ? WHERE variant = ? AND target = ?")) {
            update.setBytes(1, data);
            update.setString(2, key.variant());
            update.setString(3, key.target());
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    @Test
    void flippedByteIsCorruptMissAndDeleted() throws Exception {
        try (DiskStore store = DiskStore.open(directory, BUDGET);
                Connection connection = connect(store.databaseFile())) {
            store.put(key("/a"), entry("/a", 300));
            store.put(key("/b"), entry("/b", 300));
            byte[] data = storedData(connection, key("/a"));
            data[data.length / 2] ^= 0x01;
            replaceData(connection, key("/a"), data);

            assertThat(store.get(key("/a"))).isEmpty();

            assertThat(store.counters().corrupt.sum()).isEqualTo(1);
            assertThat(store.counters().misses.sum()).isEqualTo(1);
            assertThat(store.counters().hits.sum()).isZero();
            assertThat(storedData(connection, key("/a"))).as("deleted from the database").isNull();
            assertThat(store.entryCount()).isEqualTo(1);
            assertThat(store.sizeBytes()).isEqualTo(DiskStoreTest.encodedSize(entry("/b", 300)));
            assertThat(store.get(key("/b"))).isPresent();
            assertThat(store.get(key("/a"))).isEmpty();
            assertThat(store.counters().corrupt.sum()).isEqualTo(1);
        }
    }

    @Test
    void truncatedEntryIsCorruptMiss() throws Exception {
        try (DiskStore store = DiskStore.open(directory, BUDGET);
                Connection connection = connect(store.databaseFile())) {
            store.put(key("/a"), entry("/a", 300));
            byte[] data = storedData(connection, key("/a"));
            replaceData(connection, key("/a"), Arrays.copyOf(data, data.length - 10));

            assertThat(store.get(key("/a"))).isEmpty();

            assertThat(store.counters().corrupt.sum()).isEqualTo(1);
            assertThat(store.entryCount()).isZero();
            assertThat(store.sizeBytes()).isZero();
            assertThat(queryLong(connection, "SELECT count(*) FROM entries")).isZero();
        }
    }

    @Test
    void secondOpenInSameJvmFailsClearly() {
        try (DiskStore first = DiskStore.open(directory, BUDGET)) {
            assertThatThrownBy(() -> DiskStore.open(directory, BUDGET))
                    .isInstanceOf(CacheStoreException.class)
                    .hasMessageContaining("Cache directory " + first.databaseFile().getParent())
                    .hasMessageContaining("is already in use by another github-mirror process")
                    .hasMessageContaining(DiskDirectoryLock.LOCK_FILE_NAME)
                    .hasMessageContaining("set CACHE_DIR to another directory");

            first.put(key("/a"), entry("/a", 10));
            assertThat(first.get(key("/a"))).isPresent();
        }

        try (DiskStore again = DiskStore.open(directory, BUDGET)) {
            assertThat(again.entryCount()).isEqualTo(1);
        }
    }

    @Test
    void secondOpenThroughSymlinkFails() throws Exception {
        Path real = Files.createDirectories(directory.resolve("real"));
        Path link = Files.createSymbolicLink(directory.resolve("link"), real);
        try (DiskStore first = DiskStore.open(real, BUDGET)) {
            assertThatThrownBy(() -> DiskStore.open(link, BUDGET))
                    .isInstanceOf(CacheStoreException.class)
                    .hasMessageContaining("Cache directory " + first.databaseFile().getParent())
                    .hasMessageContaining("is already in use");
        }
    }

    @Test
    void databasePathIsDirectoryFailsOpen() throws Exception {
        Files.createDirectories(directory.resolve(DiskStore.DATABASE_FILE_NAME));
        Path databaseFile = directory.toRealPath().resolve(DiskStore.DATABASE_FILE_NAME);

        assertThatThrownBy(() -> DiskStore.open(directory, BUDGET))
                .isInstanceOf(CacheStoreException.class)
                .hasMessageContaining("Cannot open cache database " + databaseFile)
                .hasMessageContaining("SQLITE_CANTOPEN");

        // The failed open released the directory lock.
        Files.delete(directory.resolve(DiskStore.DATABASE_FILE_NAME));
        try (DiskStore store = DiskStore.open(directory, BUDGET)) {
            assertThat(store.entryCount()).isZero();
        }
    }

    @Test
    void garbageDatabaseFileFailsOpen() throws Exception {
        Files.writeString(directory.resolve(DiskStore.DATABASE_FILE_NAME), "not an SQLite database\n".repeat(400));

        assertThatThrownBy(() -> DiskStore.open(directory, BUDGET))
                .isInstanceOf(CacheStoreException.class)
                .hasMessageContaining(DiskStore.DATABASE_FILE_NAME)
                .hasMessageContaining("delete it or set CACHE_DIR");
    }

    @Test
    void cacheDirectoryIsFileFailsOpen() throws Exception {
        Path file = Files.writeString(directory.resolve("not-a-directory"), "x");

        assertThatThrownBy(() -> DiskStore.open(file, BUDGET))
                .isInstanceOf(CacheStoreException.class)
                .hasMessageContaining("Cache directory " + file + " exists but is not a directory");
    }

    @Test
    void directoryWithQuestionMarkFailsOpen() {
        Path odd = directory.resolve("cache?mode=memory");

        assertThatThrownBy(() -> DiskStore.open(odd, BUDGET))
                .isInstanceOf(CacheStoreException.class)
                .hasMessageContaining("contains '?'");
    }

    @Test
    void newerSchemaVersionFailsOpen() throws Exception {
        try (DiskStore store = DiskStore.open(directory, BUDGET)) {
            store.put(key("/a"), entry("/a", 10));
        }
        try (Connection connection = connect(directory.resolve(DiskStore.DATABASE_FILE_NAME));
                PreparedStatement update = connection.prepareStatement(
                        "UPDATE meta SET value = 2 WHERE name = 'schema_version'")) {
            assertThat(update.executeUpdate()).isEqualTo(1);
        }

        assertThatThrownBy(() -> DiskStore.open(directory, BUDGET))
                .isInstanceOf(CacheStoreException.class)
                .hasMessageContaining("has schema version 2")
                .hasMessageContaining("set CACHE_DIR to another directory");
    }

    @Test
    void damagedKeySecretIsReplacedAndEntriesDropped() throws Exception {
        byte[] original;
        try (DiskStore store = DiskStore.open(directory, BUDGET)) {
            store.put(key("/a"), entry("/a", 10));
            original = store.keySecret();
        }
        try (Connection connection = connect(directory.resolve(DiskStore.DATABASE_FILE_NAME));
                PreparedStatement update = connection.prepareStatement(
                        "UPDATE meta SET value = ? WHERE name = 'key_secret'")) {
            update.setBytes(1, new byte[5]);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }

        try (DiskStore store = DiskStore.open(directory, BUDGET)) {
            assertThat(store.keySecret()).hasSize(32).isNotEqualTo(original);
            assertThat(store.entryCount()).isZero();
            assertThat(store.get(key("/a"))).isEmpty();
        }
    }

    @Test
    void fullDiskFailsWritesAndSetsProblem() {
        try (DiskStore store = DiskStore.open(directory, BUDGET)) {
            store.put(key("/kept"), entry("/kept", 100));
            assertThat(store.problem()).isNull();

            store.simulateFullDisk(true);
            assertThatThrownBy(() -> store.put(key("/big"), entry("/big", 200_000)))
                    .isInstanceOf(CacheStoreException.class)
                    .hasMessageContaining(store.databaseFile().toString())
                    .hasMessageContaining("SQLITE_FULL");
            assertThatThrownBy(() -> store.put(key("/big2"), entry("/big2", 200_000)))
                    .isInstanceOf(CacheStoreException.class);

            assertThat(store.problem())
                    .contains("write failed")
                    .contains(store.databaseFile().toString())
                    .contains("full");
            assertThat(store.counters().errors.sum()).isEqualTo(2);
            assertThat(store.counters().writes.sum()).isEqualTo(1);
            assertThat(store.entryCount()).isEqualTo(1);
            assertThat(store.sizeBytes()).isEqualTo(DiskStoreTest.encodedSize(entry("/kept", 100)));
            assertThat(store.get(key("/kept"))).as("reads keep working").isPresent();
            assertThat(store.problem()).as("a read does not end a write outage").isNotNull();

            store.simulateFullDisk(false);
            store.put(key("/big"), entry("/big", 200_000));

            assertThat(store.problem()).isNull();
            assertThat(store.get(key("/big"))).isPresent();
            assertThat(store.entryCount()).isEqualTo(2);
        }
    }
}
