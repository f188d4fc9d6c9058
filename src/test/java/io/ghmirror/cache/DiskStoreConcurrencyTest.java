package io.ghmirror.cache;

import static io.ghmirror.cache.DiskStoreTest.connect;
import static io.ghmirror.cache.DiskStoreTest.queryLong;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskStoreConcurrencyTest {

    private static final int THREADS = 32;
    private static final int OPERATIONS_PER_THREAD = 500;
    private static final int TARGETS = 100;
    private static final long BUDGET = 96 * 1024;

    @TempDir
    Path directory;

    /** Returns an entry whose X-Key header ties it to the key and whose body encodes the version. */
    private static Entry entryFor(CacheKey key, int version, int bodySize) {
        byte[] body = new byte[bodySize];
        for (int i = 0; i < bodySize; i++) {
            body[i] = (byte) (version + i);
        }
        return new Entry(key.target(), 200,
                List.of(new Header("X-Key", key.asString()), new Header("X-Version", Integer.toString(version))),
                body, "\"" + version + "\"", null, version);
    }

    private static void checkEntry(CacheKey key, Entry entry) {
        assertThat(entry.target()).isEqualTo(key.target());
        assertThat(entry.header("X-Key")).contains(key.asString());
        int version = Integer.parseInt(entry.header("X-Version").orElseThrow());
        byte[] body = entry.body();
        for (int i = 0; i < body.length; i++) {
            assertThat(body[i]).isEqualTo((byte) (version + i));
        }
    }

    @Test
    void virtualThreadsMixOperationsWithoutErrors() throws Exception {
        AtomicLong hitsSeen = new AtomicLong();
        long sizeAtEnd;
        long countAtEnd;
        DiskStore store = DiskStore.open(directory, BUDGET);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                long seed = thread;
                futures.add(executor.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    for (int op = 0; op < OPERATIONS_PER_THREAD; op++) {
                        String target = "/repos/o/r/issues/" + random.nextInt(TARGETS);
                        CacheKey key = new CacheKey(target, "variant-" + random.nextInt(2));
                        int choice = random.nextInt(100);
                        if (choice < 50) {
                            Optional<Entry> found = store.get(key);
                            if (found.isPresent()) {
                                checkEntry(key, found.get());
                                hitsSeen.incrementAndGet();
                            }
                        } else if (choice < 88) {
                            store.put(key, entryFor(key, random.nextInt(1000), 200 + random.nextInt(2000)));
                        } else if (choice < 96) {
                            store.remove(key);
                        } else if (choice < 99) {
                            store.removeTarget(target);
                        } else {
                            store.removeTargetPrefix("/repos/o/r/issues/" + random.nextInt(10));
                        }
                        assertThat(store.sizeBytes()).isLessThanOrEqualTo(BUDGET);
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get(120, TimeUnit.SECONDS);
            }
        } finally {
            sizeAtEnd = store.sizeBytes();
            countAtEnd = store.entryCount();
            store.close();
        }

        assertThat(store.counters().errors.sum()).isZero();
        assertThat(store.counters().corrupt.sum()).isZero();
        assertThat(store.counters().hits.sum()).isEqualTo(hitsSeen.get()).isPositive();
        assertThat(store.counters().evictions.sum()).isPositive();
        assertThat(store.counters().hits.sum() + store.counters().misses.sum())
                .isGreaterThan(THREADS * OPERATIONS_PER_THREAD / 3);
        try (Connection connection = connect(store.databaseFile())) {
            assertThat(queryLong(connection, "SELECT count(*) FROM entries")).isEqualTo(countAtEnd);
            assertThat(queryLong(connection, "SELECT coalesce(sum(size), 0) FROM entries")).isEqualTo(sizeAtEnd);
            long mismatchedSizes = queryLong(connection, "SELECT coalesce(sum(length(data) != size), 0) FROM entries");
            assertThat(mismatchedSizes).isZero();
        }
    }
}
