package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.Fault;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.Conditions;
import io.ghmirror.support.MirrorHarness;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * When the revalidation of a stored entry fails, the entry is served and marked stale. Without an
 * entry, the client gets GitHub's own error or a JSON error from the mirror.
 */
class ResilienceStaleTest {

    private static final String TOKEN = "token stale-test";
    private static final String PATH = "/repos/octo/hello";

    private FakeGitHub github;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        github.addRepository("octo/hello");
        mirror = MirrorHarness.start(github.baseUrl());
    }

    @AfterEach
    void stop() {
        mirror.close();
        github.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503})
    void serverErrorServesStale(int status) throws Exception {
        byte[] stored = store(mirror);
        github.inject(Fault.serverError(status));

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertStale(response, "STALE_ERROR", stored);
        assertThat(github.requestCount()).isEqualTo(2);
    }

    @Test
    void droppedConnectionServesStale() throws Exception {
        byte[] stored = store(mirror);
        // Every attempt is dropped, because the JDK client retries a GET once when a reused
        // connection closes before the response starts.
        github.inject(Fault.drop().untilCleared());

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertStale(response, "STALE_ERROR", stored);
    }

    @Test
    void upstreamTimeoutServesStaleTimeout() throws Exception {
        try (MirrorHarness shortTimeout = MirrorHarness.start(github.baseUrl(), "--upstream-timeout=1s")) {
            byte[] stored = store(shortTimeout);
            github.delayNext(Duration.ofSeconds(3));

            HttpResponse<byte[]> response = shortTimeout.get(PATH, "Authorization", TOKEN);

            assertStale(response, "STALE_TIMEOUT", stored);
        }
    }

    @Test
    void primaryLimitMessageServesStale() throws Exception {
        byte[] stored = store(mirror);
        github.failNext(403, errorJson("API rate limit exceeded for user ID 1."), Map.of());

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertStale(response, "STALE_RATE_LIMITED", stored);
        assertThat(github.requestCount()).isEqualTo(2);
    }

    @Test
    void remainingZeroServesStale() throws Exception {
        byte[] stored = store(mirror);
        github.failNext(403, errorJson("Forbidden"), Map.of("X-RateLimit-Remaining", "0"));

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertStale(response, "STALE_RATE_LIMITED", stored);
        assertThat(github.requestCount()).isEqualTo(2);
    }

    @Test
    void secondaryLimitServesStale() throws Exception {
        byte[] stored = store(mirror);
        github.inject(Fault.secondaryRateLimit());

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertStale(response, "STALE_RATE_LIMITED", stored);
        assertThat(github.requestCount()).isEqualTo(2);
    }

    @Test
    void secondaryLimitWithoutEntryPassesThrough() throws Exception {
        String body = errorJson("You have exceeded a secondary rate limit. Please wait a few minutes.");
        github.failNext(403, body, Map.of("Retry-After", "60"));

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("60");
        assertThat(response.headers().firstValue("X-RateLimit-Limit")).hasValue("5000");
        assertThat(response.headers().firstValue("X-GitHub-Request-Id")).isPresent();
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
    }

    @Test
    void primaryLimitWithoutEntryPassesThrough() throws Exception {
        github.setRemaining(TOKEN, 0);

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("API rate limit exceeded");
        assertThat(response.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
        assertThat(response.headers().firstValue("X-RateLimit-Reset")).isPresent();
    }

    @Test
    void refusedConnectionWithoutEntryIs502() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = socket.getLocalPort();
        }
        try (MirrorHarness unreachable = MirrorHarness.start("http://127.0.0.1:" + closedPort)) {
            HttpResponse<byte[]> response = unreachable.get(PATH, "Authorization", TOKEN);

            assertThat(response.statusCode()).isEqualTo(502);
            assertJsonError(response);
        }
    }

    @Test
    void droppedConnectionWithoutEntryIs502() throws Exception {
        github.inject(Fault.drop().untilCleared());

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertThat(response.statusCode()).isEqualTo(502);
        assertJsonError(response);
    }

    @Test
    void timeoutWithoutEntryIs504() throws Exception {
        try (MirrorHarness shortTimeout = MirrorHarness.start(github.baseUrl(), "--upstream-timeout=1s")) {
            github.delayNext(Duration.ofSeconds(3));

            HttpResponse<byte[]> response = shortTimeout.get(PATH, "Authorization", TOKEN);

            assertThat(response.statusCode()).isEqualTo(504);
            assertJsonError(response);
        }
    }

    @Test
    void staleMaxAgeAllowsYoungEntry() throws Exception {
        try (MirrorHarness bounded = MirrorHarness.start(github.baseUrl(), "--stale-max-age=1h")) {
            byte[] stored = store(bounded);
            github.inject(Fault.serverError(502));

            HttpResponse<byte[]> response = bounded.get(PATH, "Authorization", TOKEN);

            assertStale(response, "STALE_ERROR", stored);
        }
    }

    @Test
    void staleMaxAgeRejectsOldEntry() throws Exception {
        try (MirrorHarness bounded = MirrorHarness.start(github.baseUrl(), "--stale-max-age=1ms")) {
            store(bounded);
            long storedBy = System.currentTimeMillis();
            Conditions.await("the stored entry is older than 1ms", Duration.ofSeconds(1),
                    () -> System.currentTimeMillis() > storedBy + 2);
            github.inject(Fault.serverError(502));

            HttpResponse<byte[]> response = bounded.get(PATH, "Authorization", TOKEN);

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(response.headers().firstValue("Age")).isEmpty();
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("Server Error");
        }
    }

    /** Fetches the repository once through the mirror, so it is stored, and returns the body served. */
    private static byte[] store(MirrorHarness target) throws Exception {
        HttpResponse<byte[]> first = target.get(PATH, "Authorization", TOKEN);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
        return first.body();
    }

    private static void assertStale(HttpResponse<byte[]> response, String outcome, byte[] stored) {
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Cache")).hasValue(outcome);
        assertThat(response.headers().firstValue("Age")).hasValueSatisfying(age -> assertThat(age).matches("\\d+"));
        assertThat(response.body()).isEqualTo(stored);
    }

    private static void assertJsonError(HttpResponse<byte[]> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).startsWith("{\"message\":\"");
    }

    private static String errorJson(String message) {
        return "{\"message\":\"" + message + "\",\"documentation_url\":"
                + "\"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api\",\"status\":\"403\"}";
    }
}
