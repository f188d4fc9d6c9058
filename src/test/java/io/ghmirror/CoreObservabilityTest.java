package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.LogCapture;
import io.ghmirror.support.MirrorHarness;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The endpoints and signals operators rely on: /healthz, /metrics and the request log line. */
class CoreObservabilityTest {

    private static final String REQUEST_LOGGER = "io.ghmirror.requests";
    private static final Duration LOG_WAIT = Duration.ofSeconds(5);

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
        if (mirror != null) {
            mirror.close();
        }
        if (github != null) {
            github.close();
        }
    }

    @Test
    void healthzReturnsOk() throws Exception {
        HttpResponse<byte[]> response = mirror.get("/healthz");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo("OK");
        assertThat(github.requestCount()).isZero();
    }

    @Test
    void metricsExposeCompatibleSeries() throws Exception {
        String metrics;
        try (LogCapture capture = LogCapture.attach(REQUEST_LOGGER)) {
            mirror.get("/repos/octo/hello", "Authorization", "token metrics");
            mirror.get("/repos/octo/hello", "Authorization", "token metrics");
            // The pipeline records metrics after the response is sent and just before its log line.
            assertThat(capture.awaitCount(line -> true, 2, LOG_WAIT)).as("request log lines").isTrue();
            metrics = mirror.metrics();
        }

        assertThat(metrics).containsPattern("(?m)^http_request_total 2(\\.0)?$");
        assertThat(metrics).contains("request_latency_seconds_bucket{cache=\"MISS\",method=\"GET\",status=\"200\"");
        assertThat(metrics).contains("request_latency_seconds_bucket{cache=\"HIT\",method=\"GET\",status=\"200\"");
        assertThat(metrics).containsPattern(
                "(?m)^request_latency_seconds_count\\{cache=\"HIT\",method=\"GET\",status=\"200\"} 1(\\.0)?$");
        assertThat(metrics).containsPattern("(?m)^github_mirror_cache_size\\{tier=\"memory\"} [1-9][0-9.E]*$");
        assertThat(metrics).containsPattern("(?m)^github_mirror_cached_objects\\{tier=\"memory\"} [1-9][0-9.E]*$");
        assertThat(metrics).containsPattern("(?m)^github_mirror_upstream_requests_total\\{status=\"200\"} 1(\\.0)?$");
        assertThat(metrics).containsPattern("(?m)^github_mirror_upstream_requests_total\\{status=\"304\"} 1(\\.0)?$");
        assertThat(metrics).containsPattern("(?m)^jvm_memory_used_bytes\\{");
    }

    @Test
    void requestLogLineHasOriginalShape() throws Exception {
        try (LogCapture capture = LogCapture.attach(REQUEST_LOGGER)) {
            mirror.get("/repos/octo/hello", "Authorization", "token log-shape");
            mirror.get("/repos/octo/hello", "Authorization", "token log-shape");

            Pattern miss = Pattern.compile("\\[GET] CACHE_MISS " + Pattern.quote(github.baseUrl())
                    + "/repos/octo/hello 200 \\d+ms");
            Pattern hit = Pattern.compile("\\[GET] CACHE_HIT " + Pattern.quote(github.baseUrl())
                    + "/repos/octo/hello 200 \\d+ms( tier=memory)?");
            assertThat(capture.await(line -> miss.matcher(line.message()).matches(), LOG_WAIT))
                    .as("miss line in %s", capture.lines()).isNotNull();
            assertThat(capture.await(line -> hit.matcher(line.message()).matches(), LOG_WAIT))
                    .as("hit line in %s", capture.lines()).isNotNull();
        }
    }

    @Test
    void tokenNeverLogged() throws Exception {
        String token = "ghp_CoreObservabilitySecret0123456789";
        String authorization = "token " + token;
        Logger mirrorLogger = (Logger) LoggerFactory.getLogger("io.ghmirror");
        Level previousLevel = mirrorLogger.getLevel();
        mirrorLogger.setLevel(Level.DEBUG);
        try (LogCapture capture = LogCapture.attach(Logger.ROOT_LOGGER_NAME, REQUEST_LOGGER)) {
            github.putPrivate("/repos/octo/private", "{\"name\":\"private\"}", authorization);
            mirror.get("/repos/octo/private", "Authorization", authorization);
            mirror.get("/repos/octo/private", "Authorization", authorization);
            mirror.get("/repos/octo/missing", "Authorization", authorization);
            mirror.get("/repos/octo/hello?access_token=" + token, "Authorization", authorization);
            mirror.get("/repos/octo/hello?client_id=x&client_secret=" + token);
            mirror.send(mirror.request("/repos/octo/hello/issues")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"t\"}"))
                    .header("Authorization", authorization)
                    .build());
            github.dropNext();
            mirror.get("/repos/octo/private", "Authorization", authorization);
            github.dropNext();
            mirror.get("/repos/octo/other", "Authorization", authorization);

            boolean allLogged = capture.awaitCount(line -> line.logger().equals(REQUEST_LOGGER), 8, LOG_WAIT);

            assertThat(allLogged).as("request log lines in %s", capture.lines()).isTrue();
            assertThat(capture.lines()).as("captured log events").allSatisfy(line ->
                    assertThat(line.fullText()).doesNotContain(token));
        } finally {
            mirrorLogger.setLevel(previousLevel);
        }
    }
}
