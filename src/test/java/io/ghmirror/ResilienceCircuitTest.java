package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.Fault;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.Conditions;
import io.ghmirror.support.MirrorHarness;
import io.ghmirror.support.MirrorState;
import io.ghmirror.support.TcpForwarder;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Consecutive connection failures or timeouts open the circuit breaker. The mirror then serves
 * cached responses without contacting GitHub until a probe after the back-off succeeds.
 *
 * <p>The mirror reaches the fake through a forwarder that the tests switch to refusing
 * connections, which makes the upstream unreachable at an unchanged address.
 */
class ResilienceCircuitTest {

    private static final String TOKEN = "token circuit-test";
    private static final String PATH = "/repos/octo/hello";
    private static final String OFFLINE_SERIES = "github_mirror_offline{reason=\"circuit_breaker\"}";
    private static final Duration WAIT = Duration.ofSeconds(10);

    private FakeGitHub github;
    private TcpForwarder forwarder;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        github.addRepository("octo/hello");
        github.addRepository("octo/other");
        forwarder = TcpForwarder.start(github.port());
        mirror = MirrorHarness.start(forwarder.baseUrl(),
                "--circuit-failure-threshold=3", "--circuit-open-duration=2s");
    }

    @AfterEach
    void stop() {
        mirror.close();
        forwarder.close();
        github.close();
    }

    @Test
    void failuresOpenCircuit() throws Exception {
        mirror.get(PATH, "Authorization", TOKEN);
        forwarder.refuse();

        for (int attempt = 1; attempt <= 3; attempt++) {
            HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);
            assertThat(response.headers().firstValue("X-Cache")).as("attempt %d", attempt).hasValue("STALE_ERROR");
        }

        assertThat(MirrorState.readyz(mirror)).contains("\"offline\":true").contains("\"circuit\":\"open\"");
        assertThat(MirrorState.sample(MirrorState.metrics(mirror), OFFLINE_SERIES)).hasValue(1.0);
    }

    @Test
    void twoFailuresKeepCircuitClosed() throws Exception {
        mirror.get(PATH, "Authorization", TOKEN);
        forwarder.refuse();

        mirror.get(PATH, "Authorization", TOKEN);
        mirror.get(PATH, "Authorization", TOKEN);

        assertThat(MirrorState.readyz(mirror)).contains("\"offline\":false").contains("\"circuit\":\"closed\"");
    }

    @Test
    void openCircuitServesCachedWithoutUpstream() throws Exception {
        byte[] stored = mirror.get(PATH, "Authorization", TOKEN).body();
        openCircuit();
        int connectionsBefore = forwarder.accepted();
        int requestsBefore = github.requestCount();

        HttpResponse<byte[]> response = mirror.get(PATH, "Authorization", TOKEN);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Cache")).hasValue("OFFLINE_HIT");
        assertThat(response.body()).isEqualTo(stored);
        assertThat(forwarder.accepted()).isEqualTo(connectionsBefore);
        assertThat(github.requestCount()).isEqualTo(requestsBefore);
    }

    @Test
    void openCircuitRejectsUncached() throws Exception {
        mirror.get(PATH, "Authorization", TOKEN);
        openCircuit();
        int connectionsBefore = forwarder.accepted();

        HttpResponse<byte[]> response = mirror.get("/repos/octo/other", "Authorization", TOKEN);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("X-Cache")).hasValue("OFFLINE_MISS");
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(forwarder.accepted()).isEqualTo(connectionsBefore);
    }

    @Test
    void successfulProbeClosesCircuit() throws Exception {
        mirror.get(PATH, "Authorization", TOKEN);
        openCircuit();
        forwarder.forward();

        Conditions.await("the back-off has passed", WAIT, () -> !MirrorState.offline(mirror));
        int requestsBefore = github.requestCount();
        HttpResponse<byte[]> probe = mirror.get(PATH, "Authorization", TOKEN);

        assertThat(probe.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(github.requestCount()).isEqualTo(requestsBefore + 1);
        assertThat(MirrorState.readyz(mirror)).contains("\"offline\":false").contains("\"circuit\":\"closed\"");
        assertThat(MirrorState.sample(MirrorState.metrics(mirror), OFFLINE_SERIES)).hasValue(0.0);
    }

    @Test
    void failedProbeKeepsCircuitOpen() throws Exception {
        mirror.get(PATH, "Authorization", TOKEN);
        openCircuit();

        Conditions.await("the back-off has passed", WAIT, () -> !MirrorState.offline(mirror));
        HttpResponse<byte[]> probe = mirror.get(PATH, "Authorization", TOKEN);

        assertThat(probe.headers().firstValue("X-Cache")).hasValue("STALE_ERROR");
        assertThat(MirrorState.readyz(mirror)).contains("\"offline\":true").contains("\"circuit\":\"open\"");
        assertThat(MirrorState.sample(MirrorState.metrics(mirror), OFFLINE_SERIES)).hasValue(1.0);
    }

    @Test
    void timeoutsOpenCircuit() throws Exception {
        try (MirrorHarness shortTimeout = MirrorHarness.start(github.baseUrl(), "--upstream-timeout=1s",
                "--circuit-failure-threshold=3", "--circuit-open-duration=1s")) {
            shortTimeout.get(PATH, "Authorization", TOKEN);
            github.inject(Fault.delay(Duration.ofSeconds(3)).times(3));

            for (int attempt = 1; attempt <= 3; attempt++) {
                HttpResponse<byte[]> response = shortTimeout.get(PATH, "Authorization", TOKEN);
                assertThat(response.headers().firstValue("X-Cache")).as("attempt %d", attempt)
                        .hasValue("STALE_TIMEOUT");
            }

            assertThat(MirrorState.readyz(shortTimeout)).contains("\"offline\":true");
        }
    }

    /** Makes the upstream refuse connections and sends three cached GETs, which opens the circuit. */
    private void openCircuit() throws Exception {
        forwarder.refuse();
        for (int attempt = 0; attempt < 3; attempt++) {
            mirror.get(PATH, "Authorization", TOKEN);
        }
        assertThat(MirrorState.offline(mirror)).as("offline after three refused connections").isTrue();
    }
}
