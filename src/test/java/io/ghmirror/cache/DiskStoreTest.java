package io.ghmirror.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskStoreTest {

    private static final long LARGE_BUDGET = 64L << 20;

    @TempDir
    Path directory;

    // Helpers shared with the other Disk*Test classes.

    static CacheKey key(String target) {
        return new CacheKey(target, "variant-1");
    }

    /**
     * Returns an entry whose body is {@code bodySize} bytes derived from the target. Entries with
     * targets of equal length and equal body sizes have equal encoded sizes.
     */
    static Entry entry(String target, int bodySize) {
        byte[] body = new byte[bodySize];
        byte[] seed = target.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bodySize; i++) {
            body[i] = (byte) (seed[i % seed.length] + i);
        }
        return new Entry(target, 200, List.of(new Header("Content-Type", "application/json")),
                body, "\"%08x\"".formatted(target.hashCode()), null, 1_700_000_000_000L);
    }

    static int encodedSize(Entry entry) {
        return EntryCodec.encode(entry).length;
    }

    static Connection connect(Path databaseFile) throws SQLException {
        Connection connection = DriverManager.getConnection("jdbc:sqlite:" + databaseFile);
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA busy_timeout = 5000");
        }
        return connection;
    }

    static long queryLong(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** Clock whose time only moves when a test sets it. */
    static final class ManualClock extends Clock {
        private volatile long millis;

        ManualClock(long millis) {
            this.millis = millis;
        }

        void set(long newMillis) {
            this.millis = newMillis;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("tests use UTC only");
        }
    }

    @Test
    void roundTripKeepsHeadersBodyAndValidators() {
        byte[] body = new byte[256];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) i;
        }
        List<Header> headers = List.of(
                new Header("Link", "<https://api.github.com/x?page=2>; rel=\"next\""),
                new Header("Vary", "Accept"),
                new Header("Link", "second value"),
                new Header("X-Empty", ""));
        Entry withLastModifiedOnly = new Entry("/repos/o/r", 200, headers, body, null,
                "Tue, 01 Jul 2025 10:00:00 GMT", 1_700_000_000_123L);
        Entry withEtagOnly = new Entry("/repos/o/r?page=2", 200, List.of(), new byte[0], "W/\"abc\"", null, 42L);

        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(key("/repos/o/r"), withLastModifiedOnly);
            store.put(key("/repos/o/r?page=2"), withEtagOnly);

            Entry first = store.get(key("/repos/o/r")).orElseThrow();
            assertThat(first.headers()).containsExactlyElementsOf(headers);
            assertThat(first.body()).isEqualTo(body);
            assertThat(first.etag()).isNull();
            assertThat(first.lastModified()).isEqualTo("Tue, 01 Jul 2025 10:00:00 GMT");
            assertThat(first.storedAtMillis()).isEqualTo(1_700_000_000_123L);
            assertThat(first.target()).isEqualTo("/repos/o/r");
            assertThat(first.status()).isEqualTo(200);

            Entry second = store.get(key("/repos/o/r?page=2")).orElseThrow();
            assertThat(second.body()).isEmpty();
            assertThat(second.etag()).isEqualTo("W/\"abc\"");
            assertThat(second.lastModified()).isNull();
            assertThat(second.headers()).isEmpty();
        }
    }

    @Test
    void getCountsHitsAndMisses() {
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(key("/a"), entry("/a", 10));

            assertThat(store.get(key("/a"))).isPresent();
            assertThat(store.get(key("/missing"))).isEmpty();
            assertThat(store.get(new CacheKey("/a", "other-variant"))).isEmpty();

            assertThat(store.counters().hits.sum()).isEqualTo(1);
            assertThat(store.counters().misses.sum()).isEqualTo(2);
            assertThat(store.counters().writes.sum()).isEqualTo(1);
            assertThat(store.counters().errors.sum()).isZero();
            assertThat(store.name()).isEqualTo("disk");
        }
    }

    @Test
    void putReplacesEntryAndSize() {
        Entry small = entry("/a", 10);
        Entry large = entry("/a", 1000);
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(key("/a"), small);
            assertThat(store.sizeBytes()).isEqualTo(encodedSize(small));

            store.put(key("/a"), large);

            assertThat(store.get(key("/a")).orElseThrow().body()).isEqualTo(large.body());
            assertThat(store.entryCount()).isEqualTo(1);
            assertThat(store.sizeBytes()).isEqualTo(encodedSize(large));
            assertThat(store.counters().writes.sum()).isEqualTo(2);
        }
    }

    @Test
    void removeDeletesOnlyThatKey() {
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(key("/a"), entry("/a", 10));
            store.put(new CacheKey("/a", "variant-2"), entry("/a", 20));

            store.remove(key("/a"));
            store.remove(key("/never-stored"));

            assertThat(store.get(key("/a"))).isEmpty();
            assertThat(store.get(new CacheKey("/a", "variant-2"))).isPresent();
            assertThat(store.entryCount()).isEqualTo(1);
            assertThat(store.sizeBytes()).isEqualTo(encodedSize(entry("/a", 20)));
        }
    }

    @Test
    void removeTargetRemovesEveryVariant() {
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(new CacheKey("/repos/o/r", "v1"), entry("/repos/o/r", 10));
            store.put(new CacheKey("/repos/o/r", "v2"), entry("/repos/o/r", 10));
            store.put(new CacheKey("/repos/o/r/pulls", "v1"), entry("/repos/o/r/pulls", 10));

            long removed = store.removeTarget("/repos/o/r");

            assertThat(removed).isEqualTo(2);
            assertThat(store.get(new CacheKey("/repos/o/r", "v1"))).isEmpty();
            assertThat(store.get(new CacheKey("/repos/o/r", "v2"))).isEmpty();
            assertThat(store.get(new CacheKey("/repos/o/r/pulls", "v1"))).isPresent();
            assertThat(store.entryCount()).isEqualTo(1);
            assertThat(store.sizeBytes()).isEqualTo(encodedSize(entry("/repos/o/r/pulls", 10)));
            assertThat(store.removeTarget("/repos/o/r")).isZero();
        }
    }

    @Test
    void removeTargetPrefixTreatsWildcardsLiterally() {
        List<String> targets = List.of(
                "/repos/a%b/x",
                "/repos/a%b",
                "/repos/aXb/x",
                "/repos/a_b",
                "/repos/azb",
                "/repos/a%b\uFFFF",
                "/repos/a%b\uD83D\uDE00/emoji",
                "/repos/a%c",
                "/repos/a");
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            for (String target : targets) {
                store.put(key(target), entry(target, 5));
            }

            long removedPercent = store.removeTargetPrefix("/repos/a%b");
            long removedUnderscore = store.removeTargetPrefix("/repos/a_");

            assertThat(removedPercent).isEqualTo(4);
            assertThat(removedUnderscore).isEqualTo(1);
            List<String> remaining = new ArrayList<>();
            for (String target : targets) {
                if (store.get(key(target)).isPresent()) {
                    remaining.add(target);
                }
            }
            assertThat(remaining).containsExactly("/repos/aXb/x", "/repos/azb", "/repos/a%c", "/repos/a");
            assertThat(store.entryCount()).isEqualTo(4);
        }
    }

    @Test
    void removeTargetPrefixEmptyRemovesAll() {
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(key("/a"), entry("/a", 5));
            store.put(key("/b"), entry("/b", 5));

            assertThat(store.removeTargetPrefix("")).isEqualTo(2);

            assertThat(store.entryCount()).isZero();
            assertThat(store.sizeBytes()).isZero();
            assertThat(store.get(key("/a"))).isEmpty();
        }
    }

    @Test
    void entriesPersistAcrossReopen() {
        byte[] secret;
        long size;
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(key("/a"), entry("/a", 100));
            store.put(key("/b"), entry("/b", 200));
            secret = store.keySecret();
            size = store.sizeBytes();
        }

        try (DiskStore reopened = DiskStore.open(directory, LARGE_BUDGET)) {
            assertThat(reopened.entryCount()).isEqualTo(2);
            assertThat(reopened.sizeBytes()).isEqualTo(size);
            assertThat(reopened.get(key("/b")).orElseThrow().body()).isEqualTo(entry("/b", 200).body());
            assertThat(reopened.keySecret()).isEqualTo(secret);
        }
    }

    @Test
    void keySecretIsRandomPerDirectory() {
        byte[] first;
        byte[] second;
        try (DiskStore store = DiskStore.open(directory.resolve("one"), LARGE_BUDGET)) {
            first = store.keySecret();
            first[0]++;
            assertThat(store.keySecret()).as("keySecret returns a copy").isNotEqualTo(first);
            first = store.keySecret();
        }
        try (DiskStore store = DiskStore.open(directory.resolve("two"), LARGE_BUDGET)) {
            second = store.keySecret();
        }

        assertThat(first).hasSize(32);
        assertThat(second).hasSize(32);
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void openCreatesMissingParentDirectories() {
        Path nested = directory.resolve("a/b/c");

        try (DiskStore store = DiskStore.open(nested, LARGE_BUDGET)) {
            assertThat(store.databaseFile()).exists();
            assertThat(nested.resolve(DiskDirectoryLock.LOCK_FILE_NAME)).exists();
        }
    }

    @Test
    void closeCheckpointsAndRemovesWal() throws Exception {
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(key("/a"), entry("/a", 100));
        }

        assertThat(directory.resolve(DiskStore.DATABASE_FILE_NAME + "-wal")).doesNotExist();
        try (Connection connection = connect(directory.resolve(DiskStore.DATABASE_FILE_NAME))) {
            assertThat(queryLong(connection, "SELECT count(*) FROM entries")).isEqualTo(1);
        }
    }

    @Test
    void evictionKeepsStoreUnderBudget() {
        int entrySize = encodedSize(entry("/repos/o/r/00", 1000));
        long budget = entrySize * 10L + entrySize / 2;
        try (DiskStore store = DiskStore.open(directory, budget)) {
            for (int i = 0; i < 40; i++) {
                String target = "/repos/o/r/%02d".formatted(i);
                store.put(key(target), entry(target, 1000));

                assertThat(store.sizeBytes()).isLessThanOrEqualTo(budget);
            }

            assertThat(store.counters().evictions.sum()).isGreaterThan(0);
            assertThat(store.entryCount()).isEqualTo(store.sizeBytes() / entrySize);
            assertThat(store.get(key("/repos/o/r/39"))).isPresent();
            assertThat(store.get(key("/repos/o/r/00"))).isEmpty();
        }
    }

    @Test
    void evictionRemovesLeastRecentlyReadFirst() {
        ManualClock clock = new ManualClock(1_000);
        int entrySize = encodedSize(entry("/a", 500));
        // Room for three entries, and 90% of the budget is above three entries again.
        long budget = entrySize * 3L + entrySize / 2;
        try (DiskStore store = DiskStore.open(directory, budget, clock)) {
            store.put(key("/a"), entry("/a", 500));
            clock.set(2_000);
            store.put(key("/b"), entry("/b", 500));
            clock.set(3_000);
            store.put(key("/c"), entry("/c", 500));
            clock.set(4_000);
            assertThat(store.get(key("/a"))).isPresent();
            clock.set(5_000);

            store.put(key("/d"), entry("/d", 500));

            assertThat(store.counters().evictions.sum()).isEqualTo(1);
            assertThat(store.get(key("/b"))).as("least recently read").isEmpty();
            assertThat(store.get(key("/a"))).isPresent();
            assertThat(store.get(key("/c"))).isPresent();
            assertThat(store.get(key("/d"))).isPresent();
            assertThat(store.sizeBytes()).isEqualTo(entrySize * 3L);
        }
    }

    @Test
    void accessTimesSurviveReopen() {
        ManualClock clock = new ManualClock(1_000);
        int entrySize = encodedSize(entry("/a", 500));
        long budget = entrySize * 3L + entrySize / 2;
        try (DiskStore store = DiskStore.open(directory, budget, clock)) {
            store.put(key("/a"), entry("/a", 500));
            clock.set(2_000);
            store.put(key("/b"), entry("/b", 500));
            clock.set(3_000);
            store.put(key("/c"), entry("/c", 500));
            clock.set(4_000);
            assertThat(store.get(key("/a"))).isPresent();
        }

        clock.set(5_000);
        try (DiskStore store = DiskStore.open(directory, budget, clock)) {
            store.put(key("/d"), entry("/d", 500));

            assertThat(store.get(key("/b"))).isEmpty();
            assertThat(store.get(key("/a"))).isPresent();
        }
    }

    @Test
    void entryLargerThanBudgetIsNotStored() {
        int smallSize = encodedSize(entry("/small", 100));
        long budget = smallSize * 4L;
        try (DiskStore store = DiskStore.open(directory, budget)) {
            store.put(key("/small"), entry("/small", 100));
            store.put(key("/big"), entry("/big", 100));

            store.put(key("/big"), entry("/big", smallSize * 5));

            assertThat(store.get(key("/big"))).isEmpty();
            assertThat(store.get(key("/small"))).isPresent();
            assertThat(store.entryCount()).isEqualTo(1);
            assertThat(store.sizeBytes()).isEqualTo(smallSize);
            assertThat(store.counters().evictions.sum()).isEqualTo(1);
        }
    }

    @Test
    void largeEntrySurvivesOwnEviction() {
        int smallSize = encodedSize(entry("/small", 100));
        long budget = smallSize * 10L;
        Entry large = entry("/large", smallSize * 9);
        try (DiskStore store = DiskStore.open(directory, budget)) {
            store.put(key("/small"), entry("/small", 100));

            store.put(key("/large"), large);

            assertThat(store.get(key("/large"))).isPresent();
            assertThat(store.get(key("/small"))).isEmpty();
            assertThat(store.sizeBytes()).isEqualTo(encodedSize(large));
        }
    }

    @Test
    void closedStoreRejectsOperations() {
        DiskStore store = DiskStore.open(directory, LARGE_BUDGET);
        store.close();
        store.close();

        assertThatThrownBy(() -> store.get(key("/a")))
                .isInstanceOf(CacheStoreException.class)
                .hasMessageContaining("is closed");
        assertThatThrownBy(() -> store.put(key("/a"), entry("/a", 1)))
                .isInstanceOf(CacheStoreException.class)
                .hasMessageContaining("is closed");
        assertThat(store.counters().errors.sum()).isZero();
    }

    @Test
    void openRejectsNonPositiveBudget() {
        assertThatThrownBy(() -> DiskStore.open(directory, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBytes");
    }

    @Test
    void openCountsHundredThousandEntries() throws Exception {
        Path databaseFile;
        try (DiskStore store = DiskStore.open(directory, Long.MAX_VALUE)) {
            databaseFile = store.databaseFile();
        }
        int count = 100_000;
        long expectedBytes = 0;
        try (Connection connection = connect(databaseFile);
                PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO entries (variant, target, size, stored_at, accessed_at, data)"
                                + " VALUES (?, ?, ?, ?, ?, ?)")) {
            connection.setAutoCommit(false);
            for (int i = 0; i < count; i++) {
                String target = "/repos/owner/repo/issues/" + i;
                byte[] data = EntryCodec.encode(entry(target, 64));
                insert.setString(1, "variant-1");
                insert.setString(2, target);
                insert.setLong(3, data.length);
                insert.setLong(4, i);
                insert.setLong(5, i);
                insert.setBytes(6, data);
                insert.executeUpdate();
                expectedBytes += data.length;
            }
            connection.commit();
        }

        try (DiskStore store = DiskStore.open(directory, Long.MAX_VALUE)) {
            assertThat(store.entryCount()).isEqualTo(count);
            assertThat(store.sizeBytes()).isEqualTo(expectedBytes);
            Optional<Entry> last = store.get(key("/repos/owner/repo/issues/" + (count - 1)));
            assertThat(last).isPresent();
            assertThat(last.get().body()).isEqualTo(entry("/repos/owner/repo/issues/" + (count - 1), 64).body());
        }
    }

    @Test
    void storedKeyHoldsOnlyTargetAndVariant() throws Exception {
        try (DiskStore store = DiskStore.open(directory, LARGE_BUDGET)) {
            store.put(new CacheKey("/user", "0123abcd"), entry("/user", 10));
        }

        try (Connection connection = connect(directory.resolve(DiskStore.DATABASE_FILE_NAME));
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT variant, target FROM entries")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("0123abcd");
            assertThat(rows.getString(2)).isEqualTo("/user");
            assertThat(rows.next()).isFalse();
        }
    }
}
