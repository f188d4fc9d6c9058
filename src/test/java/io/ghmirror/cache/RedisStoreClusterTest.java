package io.ghmirror.cache;

import static io.ghmirror.cache.RedisStoreTest.awaitTrue;
import static io.ghmirror.cache.RedisStoreTest.bodyOf;
import static io.ghmirror.cache.RedisStoreTest.entry;
import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.support.RedisServerCluster;
import io.ghmirror.support.RedisServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tests of {@link RedisStore} in cluster mode against three cluster-enabled redis-server masters. */
class RedisStoreClusterTest {

    private static final int TARGETS = 30;

    private static RedisServerCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = RedisServerCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void flush() {
        for (RedisServerProcess node : cluster.nodes()) {
            node.command("FLUSHALL");
        }
    }

    private static RedisStoreOptions options() {
        return RedisStoreOptions.defaults()
                .withCluster(true)
                .withHost(RedisServerProcess.HOST)
                .withPort(cluster.nodes().getFirst().port());
    }

    @Test
    void entriesSpreadOverNodesRoundTrip() {
        try (RedisStore store = new RedisStore(options())) {
            List<CacheKey> keys = putTargets(store, "/repos/octo/cat/issues/");

            for (CacheKey key : keys) {
                assertThat(bodyOf(store.get(key))).isEqualTo(key.target());
            }
            long nodesWithKeys = cluster.nodes().stream()
                    .filter(node -> (Long) node.command("DBSIZE") > 0)
                    .count();
            assertThat(nodesWithKeys).isGreaterThanOrEqualTo(2);
            assertThat(store.counters().hits.sum()).isEqualTo(TARGETS);
        }
    }

    @Test
    void purgesScanEveryNode() {
        try (RedisStore store = new RedisStore(options())) {
            List<CacheKey> issues = putTargets(store, "/repos/octo/cat/issues/");
            List<CacheKey> pulls = putTargets(store, "/repos/octo/cat/pulls/");
            for (String variant : List.of("v2", "v3")) {
                store.put(new CacheKey(issues.getFirst().target(), variant), entry(issues.getFirst().target(), variant));
            }

            assertThat(store.removeTarget(issues.getFirst().target())).isEqualTo(3);
            assertThat(store.removeTargetPrefix("/repos/octo/cat/issues/")).isEqualTo(TARGETS - 1);
            assertThat(store.get(issues.get(1))).isEmpty();
            assertThat(bodyOf(store.get(pulls.get(1)))).isEqualTo(pulls.get(1).target());

            assertThat(store.removeTargetPrefix("")).isEqualTo(TARGETS);
        }
    }

    @Test
    void estimateCountsEntriesOnEveryNode() {
        try (RedisStore store = new RedisStore(options())) {
            putTargets(store, "/repos/octo/cat/issues/");

            awaitTrue(Duration.ofSeconds(5), () -> store.entryCount() == TARGETS, "entry count estimate of " + TARGETS);
            assertThat(store.sizeBytes()).isPositive();
        }
    }

    @Test
    void keySecretIsSharedAcrossStores() {
        try (RedisStore first = new RedisStore(options());
                RedisStore second = new RedisStore(options().withPort(cluster.nodes().getLast().port()))) {
            assertThat(second.keySecret()).isEqualTo(first.keySecret());
        }
    }

    @Test
    void readerFallsBackToMasters() {
        try (RedisStore store = new RedisStore(options().withReaderHost(RedisServerProcess.HOST))) {
            List<CacheKey> keys = putTargets(store, "/repos/octo/cat/issues/");

            assertThat(bodyOf(store.get(keys.getLast()))).isEqualTo(keys.getLast().target());
            assertThat(store.problem()).isNull();
        }
    }

    private static List<CacheKey> putTargets(RedisStore store, String targetPrefix) {
        List<CacheKey> keys = new ArrayList<>();
        for (int i = 0; i < TARGETS; i++) {
            CacheKey key = new CacheKey(targetPrefix + i, "v1");
            store.put(key, entry(key.target(), key.target()));
            keys.add(key);
        }
        return keys;
    }
}
