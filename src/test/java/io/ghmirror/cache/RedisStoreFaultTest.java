package io.ghmirror.cache;

import static io.ghmirror.cache.RedisStoreTest.awaitTrue;
import static io.ghmirror.cache.RedisStoreTest.bodyOf;
import static io.ghmirror.cache.RedisStoreTest.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ghmirror.support.RedisServerProcess;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Tests of {@link RedisStore} when Redis is down, restarting, slow or rejects the password. Each
 * test starts its own redis-server so that stopping it affects no other test.
 */
class RedisStoreFaultTest {

    private static final Duration FAST_FAILURE = Duration.ofSeconds(1);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(10);

    private static RedisStoreOptions options(RedisServerProcess redis) {
        return RedisStoreOptions.defaults().withHost(redis.host()).withPort(redis.port());
    }

    @Test
    void outageFailsFastThenRecovers() {
        try (RedisServerProcess redis = RedisServerProcess.startDefault();
                RedisStore store = new RedisStore(options(redis))) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            store.put(key, entry(key.target(), "before"));

            redis.stop();

            CacheStoreException getFailure = timedFailure(() -> store.get(key));
            CacheStoreException putFailure = timedFailure(() -> {
                store.put(key, entry(key.target(), "during"));
                return null;
            });
            assertThat(getFailure.getMessage()).contains("127.0.0.1:" + redis.port());
            assertThat(putFailure.getMessage()).contains("127.0.0.1:" + redis.port());
            assertThat(store.counters().errors.sum()).isEqualTo(2);
            assertThat(store.problem()).contains("127.0.0.1:" + redis.port());

            redis.start();

            awaitTrue(RECOVERY_TIMEOUT, () -> succeeds(() -> store.put(key, entry(key.target(), "after"))),
                    "put to succeed after the restart");
            assertThat(bodyOf(store.get(key))).isEqualTo("after");
            assertThat(store.problem()).isNull();
        }
    }

    @Test
    void startupWhileRedisDown() {
        try (RedisServerProcess redis = RedisServerProcess.startDefault()) {
            redis.stop();

            long started = System.nanoTime();
            try (RedisStore store = new RedisStore(options(redis))) {
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAST_FAILURE);

                CacheKey key = new CacheKey("/repos/octo/cat", "v");
                CacheStoreException failure = timedFailure(() -> store.get(key));
                assertThat(failure.getMessage()).contains("not connected").contains("127.0.0.1:" + redis.port());
                assertThat(store.problem()).isNotNull();
                assertThat(store.entryCount()).isZero();

                redis.start();

                awaitTrue(RECOVERY_TIMEOUT, () -> succeeds(() -> store.put(key, entry(key.target(), "late"))),
                        "put to succeed once Redis is up");
                assertThat(bodyOf(store.get(key))).isEqualTo("late");
                assertThat(store.problem()).isNull();
            }
        }
    }

    @Test
    void keySecretFailsWhenRedisDown() {
        try (RedisServerProcess redis = RedisServerProcess.startDefault()) {
            redis.stop();
            try (RedisStore store = new RedisStore(options(redis))) {
                CacheStoreException failure = timedFailure(store::keySecret);

                assertThat(failure.getMessage()).contains("127.0.0.1:" + redis.port());
                assertThat(store.counters().errors.sum()).isEqualTo(1);
            }
        }
    }

    @Test
    void slowRedisTimesOutThenRecovers() {
        try (RedisServerProcess redis = RedisServerProcess.startDefault();
                RedisStore store = new RedisStore(options(redis).withCommandTimeout(Duration.ofMillis(200)))) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            store.put(key, entry(key.target(), "body"));

            // CLIENT PAUSE delays every client's commands on the server, like a Redis stuck in a
            // slow command, without closing the connection.
            redis.command("CLIENT", "PAUSE", 1500, "ALL");
            CacheStoreException failure = timedFailure(() -> store.get(key));

            assertThat(failure.getMessage()).contains("timed out");
            assertThat(store.counters().errors.sum()).isEqualTo(1);

            awaitTrue(RECOVERY_TIMEOUT, () -> succeeds(() -> store.get(key)), "get to succeed after the pause");
            assertThat(bodyOf(store.get(key))).isEqualTo("body");
        }
    }

    @Test
    void correctPasswordWorks() {
        try (RedisServerProcess redis = RedisServerProcess.builder().password("s3cret-pass").start();
                RedisStore store = new RedisStore(options(redis).withPassword("s3cret-pass"))) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            store.put(key, entry(key.target(), "authorized"));

            assertThat(bodyOf(store.get(key))).isEqualTo("authorized");
            assertThat(store.keySecret()).hasSize(RedisStore.KEY_SECRET_BYTES);
            assertThat(store.problem()).isNull();
        }
    }

    @Test
    void wrongPasswordHiddenInErrors() {
        try (RedisServerProcess redis = RedisServerProcess.builder().password("s3cret-pass").start();
                RedisStore store = new RedisStore(options(redis).withPassword("wrong-pass-123"))) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");

            CacheStoreException getFailure = timedFailure(() -> store.get(key));
            CacheStoreException secretFailure = timedFailure(store::keySecret);

            for (String message : new String[] {getFailure.getMessage(), secretFailure.getMessage(), store.problem()}) {
                assertThat(message).contains("127.0.0.1:" + redis.port());
                assertThat(message).doesNotContain("wrong-pass-123");
                assertThat(message).doesNotContain("s3cret-pass");
            }
            assertThat(store.counters().errors.sum()).isEqualTo(2);
        }
    }

    @Test
    void redisUrlOverridesSettings() {
        try (RedisServerProcess redis = RedisServerProcess.builder().password("url-pass").start()) {
            String url = "redis://:url-pass@127.0.0.1:" + redis.port();
            RedisStoreOptions options = options(redis).withPassword("not-the-password").withRedisUrl(url);
            try (RedisStore store = new RedisStore(options)) {
                CacheKey key = new CacheKey("/repos/octo/cat", "v");
                store.put(key, entry(key.target(), "via-url"));

                assertThat(bodyOf(store.get(key))).isEqualTo("via-url");
                assertThat(options.toString()).doesNotContain("url-pass").doesNotContain("not-the-password");
            }
        }
    }

    @Test
    void latencyObservedForFailures() {
        AtomicLong observed = new AtomicLong();
        try (RedisServerProcess redis = RedisServerProcess.startDefault();
                RedisStore store = new RedisStore(options(redis), (command, seconds) -> observed.incrementAndGet())) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            store.get(key);
            redis.stop();

            timedFailure(() -> store.get(key));

            assertThat(observed.get()).isEqualTo(2);
        }
    }

    /** Runs the operation, expecting a CacheStoreException within {@link #FAST_FAILURE}. */
    private static CacheStoreException timedFailure(Supplier<?> operation) {
        long started = System.nanoTime();
        CacheStoreException failure = catchThrowableOfType(CacheStoreException.class, operation::get);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        assertThat(failure).as("CacheStoreException from the operation").isNotNull();
        assertThat(elapsed).as("time until the operation failed").isLessThan(FAST_FAILURE);
        return failure;
    }

    private static boolean succeeds(Runnable operation) {
        try {
            operation.run();
            return true;
        } catch (CacheStoreException e) {
            return false;
        }
    }
}
