package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.Conditions;
import io.ghmirror.support.MirrorHarness;
import io.ghmirror.support.MirrorState;
import io.ghmirror.support.StatusPage;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The mirror goes offline while the GitHub status API reports a major outage of "API Requests",
 * serves cached responses without contacting GitHub, and comes back when the component recovers.
 */
class ResilienceStatusPageTest {

    private static final String TOKEN = "token status-test";
    private static final String PATH = "/repos/octo/hello";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private FakeGitHub github;
    private StatusPage status;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        github.addRepository("octo/hello");
        github.addRepository("octo/other");
        status = StatusPage.start("operational");
        mirror = MirrorHarness.start(github.baseUrl(),
                "--github-status-url=" + status.url(), "--github-status-interval=200ms");
    }

    @AfterEach
    void stop() {
        mirror.close();
        status.close();
        github.close();
    }

    @Test
    void outageTurnsMirrorOffline() throws Exception {
        status.setApiRequests("major_outage");

        Conditions.await("/readyz reports offline", WAIT, () -> MirrorState.offline(mirror));

        assertThat(MirrorState.readyz(mirror)).contains("status page");
        assertThat(MirrorState.sample(MirrorState.metrics(mirror), "github_mirror_offline{reason=\"status_page\"}"))
                .hasValue(1.0);
    }

    @Test
    void outageServesCachedWithoutUpstream() throws Exception {
        byte[] stored = mirror.get(PATH, "Authorization", TOKEN).body();
        goOffline();
        int requestsBefore = github.requestCount();

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Cache")).hasValue("OFFLINE_HIT");
        assertThat(response.headers().firstValue("Age")).isPresent();
        assertThat(response.body()).isEqualTo(stored);
        assertThat(github.requestCount()).isEqualTo(requestsBefore);
    }

    @Test
    void outageWithTooOldEntryIsOfflineMiss() throws Exception {
        try (MirrorHarness bounded = MirrorHarness.start(github.baseUrl(), "--stale-max-age=1ms",
                "--github-status-url=" + status.url(), "--github-status-interval=200ms")) {
            bounded.get(PATH, "Authorization", TOKEN);
            status.setApiRequests("major_outage");
            Conditions.await("/readyz reports offline", WAIT, () -> MirrorState.offline(bounded));

            HttpResponse<byte[]> response = bounded.get(PATH, "Authorization", TOKEN);

            assertOfflineError(response);
        }
    }

    @Test
    void outageRejectsUncachedGet() throws Exception {
        goOffline();
        int requestsBefore = github.requestCount();

        HttpResponse<byte[]> response = mirror.get("/repos/octo/other", "Authorization", TOKEN);

        assertOfflineError(response);
        assertThat(github.requestCount()).isEqualTo(requestsBefore);
    }

    @Test
    void outageRejectsPost() throws Exception {
        goOffline();
        int requestsBefore = github.requestCount();

        HttpResponse<byte[]> response = mirror.send(mirror.request("/repos/octo/hello/issues")
                .header("Authorization", TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"offline\"}"))
                .build());

        assertOfflineError(response);
        assertThat(github.requestCount()).isEqualTo(requestsBefore);
    }

    @Test
    void recoveryReachesUpstreamAgain() throws Exception {
        mirror.get(PATH, "Authorization", TOKEN);
        goOffline();
        status.setApiRequests("operational");

        Conditions.await("/readyz reports online", WAIT, () -> !MirrorState.offline(mirror));
        int requestsBefore = github.requestCount();
        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertThat(response.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(github.requestCount()).isEqualTo(requestsBefore + 1);
        assertThat(MirrorState.sample(MirrorState.metrics(mirror), "github_mirror_offline{reason=\"status_page\"}"))
                .hasValue(0.0);
    }

    @Test
    void partialOutageKeepsOnline() throws Exception {
        status.setApiRequests("partial_outage");
        int seen = status.requestCount();

        assertThat(status.awaitRequests(seen + 2, WAIT)).isTrue();

        assertThat(MirrorState.offline(mirror)).isFalse();
    }

    @Test
    void statusErrorKeepsOnline() throws Exception {
        status.failWith(500);
        int seen = status.requestCount();

        assertThat(status.awaitRequests(seen + 2, WAIT)).isTrue();

        assertThat(MirrorState.offline(mirror)).isFalse();
    }

    @Test
    void unreachableStatusKeepsOnline() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closedPort = socket.getLocalPort();
        }
        try (MirrorHarness unreachable = MirrorHarness.start(github.baseUrl(),
                "--github-status-url=http://127.0.0.1:" + closedPort + StatusPage.PATH,
                "--github-status-interval=200ms")) {
            // Nothing observable marks a failed poll, so check across several poll intervals.
            Conditions.holds("/readyz reports online", Duration.ofSeconds(1), () -> !MirrorState.offline(unreachable));

            HttpResponse<byte[]> response = unreachable.get(PATH, "Authorization", TOKEN);
            assertThat(response.headers().firstValue("X-Cache")).hasValue("MISS");
        }
    }

    @Test
    void unreachableStatusKeepsOffline() throws Exception {
        goOffline();

        status.close();

        Conditions.holds("/readyz reports offline", Duration.ofSeconds(1), () -> MirrorState.offline(mirror));
    }

    private void goOffline() {
        status.setApiRequests("major_outage");
        Conditions.await("/readyz reports offline", WAIT, () -> MirrorState.offline(mirror));
    }

    private static void assertOfflineError(HttpResponse<byte[]> response) {
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("X-Cache")).hasValue("OFFLINE_MISS");
        assertThat(response.headers().firstValue("Retry-After")).hasValueSatisfying(
                seconds -> assertThat(Long.parseLong(seconds)).isPositive());
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("GitHub is unavailable");
    }
}
