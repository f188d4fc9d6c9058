package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import io.ghmirror.support.MirrorProcess;
import io.ghmirror.support.RedisServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persistent tiers seen from outside: restarts, replicas sharing Redis, store failures. */
class PersistenceTest {

    private static final String TOKEN = "token persist-a";
    private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static FakeGitHub github;

    @BeforeAll
    static void startGitHub() {
        github = FakeGitHub.start();
        github.addRepository("octo/persist");
    }

    @AfterAll
    static void stopGitHub() {
        github.close();
    }

    private static HttpResponse<String> get(String baseUrl, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(baseUrl + path))
                        .header("Authorization", TOKEN).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void diskCacheSurvivesSigkill(@TempDir Path cacheDir) throws Exception {
        HttpResponse<String> first;
        try (MirrorProcess mirror = MirrorProcess.start("--github-api-url=" + github.baseUrl(),
                "--cache-type=disk", "--cache-dir=" + cacheDir)) {
            first = get(mirror.baseUrl(), "/repos/octo/persist");
            assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
            mirror.kill();
        }
        int unitsBefore = github.unitsSpent(TOKEN);

        try (MirrorProcess restarted = MirrorProcess.start("--github-api-url=" + github.baseUrl(),
                "--cache-type=disk", "--cache-dir=" + cacheDir)) {
            HttpResponse<String> second = get(restarted.baseUrl(), "/repos/octo/persist");

            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(second.headers().firstValue("X-Cache")).hasValue("HIT");
            assertThat(second.body()).isEqualTo(first.body().replace(":" + portOf(first), ":" + restarted.port()));
            assertThat(github.unitsSpent(TOKEN)).isEqualTo(unitsBefore);
        }
    }

    @Test
    void secondDiskProcessOnSameDirectoryFails(@TempDir Path cacheDir) throws Exception {
        try (MirrorProcess mirror = MirrorProcess.start("--github-api-url=" + github.baseUrl(),
                "--cache-type=disk", "--cache-dir=" + cacheDir)) {
            assertThat(mirror.port()).isPositive();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> MirrorProcess.start(
                            "--github-api-url=" + github.baseUrl(), "--cache-type=disk", "--cache-dir=" + cacheDir))
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void replicasShareRedisEntries() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.startDefault();
                MirrorProcess one = MirrorProcess.start("--github-api-url=" + github.baseUrl(), "--cache-type=redis",
                        "--primary-endpoint=127.0.0.1", "--redis-port=" + redis.port());
                MirrorProcess two = MirrorProcess.start("--github-api-url=" + github.baseUrl(), "--cache-type=redis",
                        "--primary-endpoint=127.0.0.1", "--redis-port=" + redis.port())) {
            String path = "/repos/octo/persist?replica=1";
            github.putJson(path, "{\"shared\":true}");
            HttpResponse<String> first = get(one.baseUrl(), path);
            int unitsAfterFirst = github.unitsSpent(TOKEN);

            HttpResponse<String> second = get(two.baseUrl(), path);

            assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(second.headers().firstValue("X-Cache")).hasValue("HIT");
            assertThat(second.body()).isEqualTo("{\"shared\":true}");
            assertThat(github.unitsSpent(TOKEN)).isEqualTo(unitsAfterFirst);
        }
    }

    @Test
    void redisOutageKeepsServing() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.startDefault();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--cache-type=redis",
                        "--primary-endpoint=127.0.0.1", "--redis-port=" + redis.port())) {
            String path = "/repos/octo/persist?outage=1";
            github.putJson(path, "{\"outage\":1}");
            assertThat(mirror.get(path, "Authorization", TOKEN).statusCode()).isEqualTo(200);

            redis.stop();
            HttpResponse<byte[]> during = mirror.get(path, "Authorization", TOKEN);
            github.putJson("/repos/octo/persist?outage=2", "{\"outage\":2}");
            HttpResponse<byte[]> uncached = mirror.get("/repos/octo/persist?outage=2", "Authorization", TOKEN);
            redis.start();

            assertThat(during.statusCode()).isEqualTo(200);
            assertThat(during.headers().firstValue("X-Cache")).hasValue("HIT");
            assertThat(uncached.statusCode()).isEqualTo(200);
            assertThat(uncached.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(new String(uncached.body())).isEqualTo("{\"outage\":2}");
            assertThat(mirror.metrics()).containsPattern("github_mirror_cache_errors_total\\{tier=\"redis\"} [1-9]");
        }
    }

    @Test
    void corruptDiskEntryIsRefetched(@TempDir Path cacheDir) throws Exception {
        String path = "/repos/octo/persist?corrupt=1";
        github.putJson(path, "{\"corrupt\":false}");
        try (MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--cache-type=disk",
                "--cache-dir=" + cacheDir)) {
            assertThat(mirror.get(path, "Authorization", TOKEN).statusCode()).isEqualTo(200);
        }
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + cacheDir.resolve("cache.db"));
                Statement statement = db.createStatement()) {
            int changed = statement.executeUpdate("UPDATE entries SET data = randomblob(200)");
            assertThat(changed).isPositive();
        }

        try (MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--cache-type=disk",
                "--cache-dir=" + cacheDir)) {
            HttpResponse<byte[]> response = mirror.get(path, "Authorization", TOKEN);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(new String(response.body())).isEqualTo("{\"corrupt\":false}");
            assertThat(mirror.metrics()).containsPattern("github_mirror_cache_corrupt_entries_total\\{tier=\"disk\"} [1-9]");
        }
    }

    private static int portOf(HttpResponse<String> response) {
        return response.uri().getPort();
    }
}
