package io.ghmirror.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.ghmirror.support.RedisServerProcess;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Functional tests of {@link RedisStore} against one real redis-server, emptied before each test. */
class RedisStoreTest {

    private static final Duration SEVEN_DAYS = Duration.ofDays(7);

    private static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.startDefault();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void flush() {
        redis.command("FLUSHALL");
    }

    private static RedisStoreOptions options() {
        return RedisStoreOptions.defaults().withHost(RedisServerProcess.HOST).withPort(redis.port());
    }

    @Test
    void putThenGetReturnsSameEntry() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey key = new CacheKey("/repos/octo/cat?page=2", "variant-a");
            Entry entry = entry(key.target(), "{\"id\":1}");

            store.put(key, entry);
            Optional<Entry> found = store.get(key);

            assertThat(found).isPresent();
            assertSameEntry(found.get(), entry);
            assertThat(store.counters().writes.sum()).isEqualTo(1);
            assertThat(store.counters().hits.sum()).isEqualTo(1);
            assertThat(store.counters().misses.sum()).isZero();
            assertThat(store.counters().errors.sum()).isZero();
        }
    }

    @Test
    void getOfMissingKeyIsCountedMiss() {
        try (RedisStore store = new RedisStore(options())) {
            assertThat(store.get(new CacheKey("/nothing", "v"))).isEmpty();
            assertThat(store.counters().misses.sum()).isEqualTo(1);
            assertThat(store.counters().hits.sum()).isZero();
        }
    }

    @Test
    void storedKeyFollowsDocumentedLayout() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey key = new CacheKey("/repos/octo/cat", "abc123");
            store.put(key, entry(key.target(), "body"));

            byte[] raw = (byte[]) redis.command("GET", rawKey("github-mirror:", key));

            assertThat(raw).isNotNull();
            assertSameEntry(EntryCodec.decode(raw), entry(key.target(), "body"));
        }
    }

    @Test
    void putReplacesPreviousEntry() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            store.put(key, entry(key.target(), "old"));
            store.put(key, entry(key.target(), "new"));

            assertThat(bodyOf(store.get(key))).isEqualTo("new");
            assertThat(store.counters().writes.sum()).isEqualTo(2);
        }
    }

    @Test
    void removeDeletesOnlyThatVariant() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey first = new CacheKey("/repos/octo/cat", "v1");
            CacheKey second = new CacheKey("/repos/octo/cat", "v2");
            store.put(first, entry(first.target(), "one"));
            store.put(second, entry(second.target(), "two"));

            store.remove(first);
            store.remove(new CacheKey("/never/stored", "v"));

            assertThat(store.get(first)).isEmpty();
            assertThat(bodyOf(store.get(second))).isEqualTo("two");
        }
    }

    @Test
    void removeTargetDeletesAllVariants() {
        try (RedisStore store = new RedisStore(options())) {
            for (String variant : List.of("v1", "v2", "v3")) {
                store.put(new CacheKey("/repos/a/b", variant), entry("/repos/a/b", variant));
            }
            CacheKey longerTarget = new CacheKey("/repos/a/bc", "v1");
            store.put(longerTarget, entry(longerTarget.target(), "keep"));

            long removed = store.removeTarget("/repos/a/b");

            assertThat(removed).isEqualTo(3);
            assertThat(store.get(new CacheKey("/repos/a/b", "v2"))).isEmpty();
            assertThat(bodyOf(store.get(longerTarget))).isEqualTo("keep");
            assertThat(store.removeTarget("/repos/a/b")).isZero();
        }
    }

    @Test
    void removeTargetPrefixDeletesMatchingTargets() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey x = new CacheKey("/repos/a/x", "v");
            CacheKey y = new CacheKey("/repos/a/y?per_page=100", "v");
            CacheKey z = new CacheKey("/repos/b/z", "v");
            for (CacheKey key : List.of(x, y, z)) {
                store.put(key, entry(key.target(), key.target()));
            }

            assertThat(store.removeTargetPrefix("/repos/a/")).isEqualTo(2);

            assertThat(store.get(x)).isEmpty();
            assertThat(store.get(y)).isEmpty();
            assertThat(bodyOf(store.get(z))).isEqualTo("/repos/b/z");

            assertThat(store.removeTargetPrefix("")).isEqualTo(1);
            assertThat(store.get(z)).isEmpty();
        }
    }

    @Test
    void putSetsTtlAndRePutRenewsIt() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            String rawKey = rawKey("github-mirror:", key);

            store.put(key, entry(key.target(), "body"));
            long ttlAfterPut = (Long) redis.command("PTTL", rawKey);
            assertThat(ttlAfterPut).isBetween(SEVEN_DAYS.toMillis() - 60_000, SEVEN_DAYS.toMillis());

            redis.command("PEXPIRE", rawKey, 10_000);
            assertThat((Long) redis.command("PTTL", rawKey)).isLessThanOrEqualTo(10_000);

            store.put(key, entry(key.target(), "revalidated"));
            long ttlAfterRePut = (Long) redis.command("PTTL", rawKey);
            assertThat(ttlAfterRePut).isBetween(SEVEN_DAYS.toMillis() - 60_000, SEVEN_DAYS.toMillis());
        }
    }

    @Test
    void entryExpiresAfterTtl() {
        try (RedisStore store = new RedisStore(options().withEntryTtl(Duration.ofSeconds(1)))) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            store.put(key, entry(key.target(), "short-lived"));
            assertThat(store.get(key)).isPresent();

            long started = System.nanoTime();
            awaitTrue(Duration.ofSeconds(5), () -> store.get(key).isEmpty(), "entry to expire");

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void keyPrefixesIsolateStores() {
        try (RedisStore first = new RedisStore(options().withKeyPrefix("mirror-a:"));
                RedisStore second = new RedisStore(options().withKeyPrefix("mirror-b:"))) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            CacheKey onlyInFirst = new CacheKey("/repos/octo/dog", "v");
            first.put(key, entry(key.target(), "from-a"));
            first.put(onlyInFirst, entry(onlyInFirst.target(), "only-a"));
            second.put(key, entry(key.target(), "from-b"));

            assertThat(bodyOf(first.get(key))).isEqualTo("from-a");
            assertThat(bodyOf(second.get(key))).isEqualTo("from-b");
            assertThat(second.get(onlyInFirst)).isEmpty();

            assertThat(first.removeTargetPrefix("")).isEqualTo(2);

            assertThat(first.get(key)).isEmpty();
            assertThat(bodyOf(second.get(key))).isEqualTo("from-b");
        }
    }

    @Test
    void purgeAllEscapesGlobInPrefix() {
        // Unescaped, the pattern "env*:e:*" would also match the keys of prefix "env1:".
        try (RedisStore wildcard = new RedisStore(options().withKeyPrefix("env*:"));
                RedisStore plain = new RedisStore(options().withKeyPrefix("env1:"))) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            wildcard.put(key, entry(key.target(), "wildcard"));
            plain.put(key, entry(key.target(), "plain"));

            assertThat(wildcard.removeTargetPrefix("")).isEqualTo(1);
            assertThat(wildcard.removeTarget(key.target())).isZero();

            assertThat(bodyOf(plain.get(key))).isEqualTo("plain");
        }
    }

    @Test
    void corruptValueIsMissCountedAndDeleted() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            String rawKey = rawKey("github-mirror:", key);
            redis.command("SET", rawKey, new byte[] {0x47, 0x48, 0x4D, 0x45, 1, (byte) 0xFF, 0, 7, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});

            assertThat(store.get(key)).isEmpty();

            assertThat(store.counters().corrupt.sum()).isEqualTo(1);
            assertThat(store.counters().misses.sum()).isEqualTo(1);
            assertThat(store.counters().hits.sum()).isZero();
            assertThat((Long) redis.command("EXISTS", rawKey)).isZero();
        }
    }

    @Test
    void entryOfAnotherTargetIsTreatedAsCorrupt() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            String rawKey = rawKey("github-mirror:", key);
            redis.command("SET", rawKey, EntryCodec.encode(entry("/repos/octo/other", "wrong")));

            assertThat(store.get(key)).isEmpty();

            assertThat(store.counters().corrupt.sum()).isEqualTo(1);
            assertThat((Long) redis.command("EXISTS", rawKey)).isZero();
        }
    }

    @Test
    void prefixPurgeDeletesCorruptEntries() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey good = new CacheKey("/repos/a/good", "v");
            store.put(good, entry(good.target(), "good"));
            String corruptKey = rawKey("github-mirror:", new CacheKey("/repos/a/bad", "v"));
            redis.command("SET", corruptKey, "not an entry");

            assertThat(store.removeTargetPrefix("/repos/a/")).isEqualTo(1);

            assertThat(store.counters().corrupt.sum()).isEqualTo(1);
            assertThat((Long) redis.command("EXISTS", corruptKey)).isZero();
        }
    }

    @Test
    void keySecretSharedWithinPrefix() {
        try (RedisStore first = new RedisStore(options());
                RedisStore second = new RedisStore(options());
                RedisStore otherPrefix = new RedisStore(options().withKeyPrefix("other:"))) {
            byte[] fromFirst = first.keySecret();
            byte[] fromSecond = second.keySecret();
            byte[] fromOtherPrefix = otherPrefix.keySecret();

            assertThat(fromFirst).hasSize(RedisStore.KEY_SECRET_BYTES);
            assertThat(fromSecond).isEqualTo(fromFirst);
            assertThat(first.keySecret()).isEqualTo(fromFirst);
            assertThat(fromOtherPrefix).isNotEqualTo(fromFirst);
            assertThat((byte[]) redis.command("GET", "github-mirror:key-secret")).isEqualTo(fromFirst);
            assertThat((Long) redis.command("PTTL", "github-mirror:key-secret")).isEqualTo(-1);
        }
    }

    @Test
    void keySecretOfWrongLengthIsRejected() {
        try (RedisStore store = new RedisStore(options())) {
            redis.command("SET", "github-mirror:key-secret", "short");

            try {
                store.keySecret();
                fail("keySecret accepted a 5-byte secret");
            } catch (CacheStoreException e) {
                assertThat(e.getMessage()).contains("github-mirror:key-secret").contains("found 5");
            }
        }
    }

    @Test
    void estimateCountsEntriesAndBytes() {
        try (RedisStore store = new RedisStore(options())) {
            long expectedBytes = 0;
            for (int i = 0; i < 3; i++) {
                CacheKey key = new CacheKey("/repos/octo/cat/issues/" + i, "v");
                Entry entry = entry(key.target(), "body-" + i);
                store.put(key, entry);
                expectedBytes += rawKey("github-mirror:", key).length() + EntryCodec.encode(entry).length;
            }
            redis.command("SET", "unrelated-key", "not counted");

            awaitTrue(Duration.ofSeconds(5), () -> store.entryCount() == 3, "entry count estimate of 3");

            assertThat(store.sizeBytes()).isEqualTo(expectedBytes);
        }
    }

    @Test
    void latencyObserverSeesEveryCommand() {
        ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Double> seconds = new ConcurrentLinkedQueue<>();
        RedisLatencyObserver observer = (command, duration) -> {
            commands.add(command);
            seconds.add(duration);
        };
        try (RedisStore store = new RedisStore(options(), observer)) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            store.put(key, entry(key.target(), "body"));
            store.get(key);
            store.remove(key);
            store.removeTarget(key.target());

            assertThat(commands).containsExactly("SET", "GET", "DEL", "SCAN");
            assertThat(seconds).allSatisfy(duration -> assertThat(duration).isBetween(0.0, 5.0));
        }
    }

    @Test
    void healthyStoreReportsNoProblem() {
        try (RedisStore store = new RedisStore(options())) {
            store.get(new CacheKey("/repos/octo/cat", "v"));

            assertThat(store.problem()).isNull();
            assertThat(store.name()).isEqualTo("redis");
        }
    }

    static Entry entry(String target, String body) {
        return new Entry(target, 200,
                List.of(new Header("Content-Type", "application/json"), new Header("X-GitHub-Media-Type", "github.v3")),
                body.getBytes(StandardCharsets.UTF_8), "\"etag-" + body.hashCode() + "\"", null, 1_700_000_000_000L);
    }

    static void assertSameEntry(Entry actual, Entry expected) {
        assertThat(actual.target()).isEqualTo(expected.target());
        assertThat(actual.status()).isEqualTo(expected.status());
        assertThat(actual.headers()).isEqualTo(expected.headers());
        assertThat(actual.body()).isEqualTo(expected.body());
        assertThat(actual.etag()).isEqualTo(expected.etag());
        assertThat(actual.lastModified()).isEqualTo(expected.lastModified());
        assertThat(actual.storedAtMillis()).isEqualTo(expected.storedAtMillis());
    }

    static String bodyOf(Optional<Entry> entry) {
        assertThat(entry).isPresent();
        return new String(entry.get().body(), StandardCharsets.UTF_8);
    }

    /** Builds the Redis key the store documents, independently of the store's own code. */
    static String rawKey(String prefix, CacheKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.target().getBytes(StandardCharsets.UTF_8));
            return prefix + "e:" + HexFormat.of().formatHex(digest) + ":" + key.variant();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls the condition every 20 ms until it holds, failing after the timeout. */
    static void awaitTrue(Duration timeout, BooleanSupplier condition, String description) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for " + description);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting for " + description);
            }
        }
    }
}
