package io.ghmirror.cache;

import static io.ghmirror.cache.RedisStoreTest.awaitTrue;
import static io.ghmirror.cache.RedisStoreTest.bodyOf;
import static io.ghmirror.cache.RedisStoreTest.entry;
import static io.ghmirror.cache.RedisStoreTest.rawKey;
import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.support.RedisServerProcess;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tests of {@link RedisStore} with a separate reader endpoint: a primary and a replica started with
 * {@code --replicaof}, both with a password.
 */
class RedisStoreReplicaTest {

    private static final String PASSWORD = "replica-test-pass";
    private static final Duration REPLICATION_TIMEOUT = Duration.ofSeconds(10);

    private static RedisServerProcess primary;
    private static RedisServerProcess replica;

    @BeforeAll
    static void startPrimaryAndReplica() {
        // Without the 5 s default delay, the replica's first sync completes at once.
        primary = RedisServerProcess.builder()
                .password(PASSWORD)
                .extraArgs("--repl-diskless-sync-delay", "0")
                .start();
        replica = RedisServerProcess.builder().password(PASSWORD).replicaOf(primary.port()).start();
        replica.awaitReplicationLinkUp(REPLICATION_TIMEOUT);
    }

    @AfterAll
    static void stopServers() {
        if (replica != null) {
            replica.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @BeforeEach
    void flush() {
        primary.command("FLUSHALL");
        awaitTrue(REPLICATION_TIMEOUT, () -> (Long) replica.command("DBSIZE") == 0, "replica to be empty");
    }

    private static RedisStoreOptions options() {
        return RedisStoreOptions.defaults()
                .withHost(RedisServerProcess.HOST)
                .withPort(primary.port())
                .withReaderPort(replica.port())
                .withPassword(PASSWORD);
    }

    @Test
    void getsUseReaderPutsUsePrimary() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            long primarySetsBefore = primary.commandCalls("set");

            store.put(key, entry(key.target(), "replicated"));

            assertThat(primary.commandCalls("set")).isEqualTo(primarySetsBefore + 1);
            awaitReplicated(key);

            long replicaGetsBefore = replica.commandCalls("get");
            long primaryGetsBefore = primary.commandCalls("get");

            assertThat(bodyOf(store.get(key))).isEqualTo("replicated");

            assertThat(replica.commandCalls("get")).isEqualTo(replicaGetsBefore + 1);
            assertThat(primary.commandCalls("get")).isEqualTo(primaryGetsBefore);
            assertThat(store.problem()).isNull();
        }
    }

    @Test
    void corruptReaderEntryDeletedOnPrimary() {
        try (RedisStore store = new RedisStore(options())) {
            CacheKey key = new CacheKey("/repos/octo/cat", "v");
            primary.command("SET", rawKey("github-mirror:", key), "garbage");
            awaitReplicated(key);

            assertThat(store.get(key)).isEmpty();

            assertThat(store.counters().corrupt.sum()).isEqualTo(1);
            assertThat((Long) primary.command("EXISTS", rawKey("github-mirror:", key))).isZero();
        }
    }

    @Test
    void keySecretReadsFromPrimary() {
        try (RedisStore first = new RedisStore(options());
                RedisStore second = new RedisStore(options())) {
            long replicaGetsBefore = replica.commandCalls("get");

            byte[] secret = first.keySecret();

            assertThat(second.keySecret()).isEqualTo(secret);
            assertThat(replica.commandCalls("get")).isEqualTo(replicaGetsBefore);
        }
    }

    @Test
    void readerOutageIsReportedAsProblem() {
        try (RedisServerProcess lonePrimary = RedisServerProcess.startDefault();
                RedisServerProcess stoppedReader = RedisServerProcess.startDefault()) {
            stoppedReader.stop();
            RedisStoreOptions options = RedisStoreOptions.defaults()
                    .withHost(RedisServerProcess.HOST)
                    .withPort(lonePrimary.port())
                    .withReaderPort(stoppedReader.port());
            try (RedisStore store = new RedisStore(options)) {
                CacheKey key = new CacheKey("/repos/octo/cat", "v");
                store.put(key, entry(key.target(), "written"));

                CacheStoreException failure = null;
                try {
                    store.get(key);
                } catch (CacheStoreException e) {
                    failure = e;
                }

                assertThat(failure).isNotNull();
                assertThat(failure.getMessage()).contains("reader").contains("127.0.0.1:" + stoppedReader.port());
                assertThat(store.problem()).contains("127.0.0.1:" + stoppedReader.port());
            }
        }
    }

    private static void awaitReplicated(CacheKey key) {
        String redisKey = rawKey("github-mirror:", key);
        awaitTrue(REPLICATION_TIMEOUT, () -> (Long) replica.command("EXISTS", redisKey) == 1,
                "key to reach the replica");
    }
}
