package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.fake.RecordedRequest;
import io.ghmirror.support.MirrorHarness;
import io.ghmirror.support.RawHttp;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed and hostile requests, and failing upstreams. Each gets a clear error, no request
 * leaves the configured upstream, and the mirror keeps serving afterwards.
 */
class CoreBadInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();

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
    void badRequestLineGets400() throws Exception {
        RawHttp.Response response = RawHttp.send(mirror.port(), "GARBAGE\r\n\r\n");

        assertThat(response.status()).isEqualTo(400);
        assertThat(github.requestCount()).isZero();
        assertStillHealthy();
    }

    @Test
    void invalidPercentEncodingGets400() throws Exception {
        RawHttp.Response response = RawHttp.send(mirror.port(), get("/repos/%zz"));

        assertThat(response.status()).isEqualTo(400);
        assertThat(github.requestCount()).isZero();
        assertStillHealthy();
    }

    @Test
    void oversizedHeadersGet431() throws Exception {
        String request = "GET /repos/octo/hello HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "X-Padding: " + "a".repeat(17 * 1024) + "\r\n"
                + "Connection: close\r\n"
                + "\r\n";

        RawHttp.Response response = RawHttp.send(mirror.port(), request);

        assertThat(response.status()).isEqualTo(431);
        assertThat(github.requestCount()).isZero();
        assertStillHealthy();
    }

    @Test
    void absoluteFormStaysOnUpstream() throws Exception {
        String request = "GET http://evil.example/repos/octo/hello HTTP/1.1\r\n"
                + "Host: evil.example\r\n"
                + "Connection: close\r\n"
                + "\r\n";

        RawHttp.Response response = RawHttp.send(mirror.port(), request);

        if (response.status() >= 400 && response.status() < 500) {
            assertThat(github.requestCount()).as("upstream requests after a rejection").isZero();
        } else {
            assertThat(response.status()).isEqualTo(200);
            assertThat(github.requests()).singleElement().satisfies(upstream -> {
                assertThat(upstream.target()).isEqualTo("/repos/octo/hello");
                assertThat(upstream.header("Host")).isEqualTo("127.0.0.1:" + github.port());
            });
        }
        assertStillHealthy();
    }

    @Test
    void doubleSlashPathStaysOnUpstream() throws Exception {
        RawHttp.Response response = RawHttp.send(mirror.port(), get("//evil.example/repos/octo/hello"));

        assertThat(response.status()).isIn(400, 404);
        List<RecordedRequest> requests = github.requests();
        assertThat(requests).hasSizeLessThanOrEqualTo(1);
        assertThat(requests).allSatisfy(upstream -> {
            assertThat(upstream.target()).isEqualTo("//evil.example/repos/octo/hello");
            assertThat(upstream.header("Host")).isEqualTo("127.0.0.1:" + github.port());
        });
        assertStillHealthy();
    }

    @Test
    void conflictingBodyLengthsNotSmuggled() throws Exception {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        List<String> requests = List.of(
                "POST /repos/octo/hello/issues HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + smuggled,
                "POST /repos/octo/hello/issues HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
                        + "Content-Length: 40\r\n\r\nhello" + smuggled,
                "POST /repos/octo/hello/issues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + smuggled);

        for (String request : requests) {
            String responses = RawHttp.sendUntilClose(mirror.port(), request);

            assertThat(responses).as("responses to %s", request).startsWith("HTTP/1.1 400 ");
        }
        assertThat(github.requests()).as("upstream requests").isEmpty();
        assertStillHealthy();
    }

    @Test
    void dotSegmentsGet400() throws Exception {
        for (String target : List.of("/repos/../user", "/repos/%2e%2e/user", "/repos/%2E%2e/user",
                "/repos/octo/hello/./issues", "/repos/octo/%2e/issues", "/repos/octo/hello/..")) {
            RawHttp.Response response = RawHttp.send(mirror.port(), get(target));

            assertThat(response.status()).as("status for %s", target).isEqualTo(400);
        }
        assertThat(github.requestCount()).isZero();
        assertStillHealthy();
    }

    @Test
    void invalidTargetCharactersGet400() throws Exception {
        List<byte[]> requests = List.of(
                get("/search/issues?q=a|b").getBytes(StandardCharsets.ISO_8859_1),
                get("/repos/octo/h\u00e4llo").getBytes(StandardCharsets.UTF_8),
                get("/repos/octo/hello?q=\"x\"").getBytes(StandardCharsets.ISO_8859_1));

        for (byte[] request : requests) {
            RawHttp.Response response = RawHttp.send(mirror.port(), request);

            assertThat(response.status()).as("status for %s", new String(request, StandardCharsets.UTF_8))
                    .isEqualTo(400);
        }
        assertThat(github.requestCount()).isZero();
        assertStillHealthy();
    }

    @Test
    void hostHeaderDoesNotPoisonCache() throws Exception {
        String request = "GET /repos/octo/hello HTTP/1.1\r\n"
                + "Host: evil.example\r\n"
                + "Authorization: token host\r\n"
                + "Connection: close\r\n"
                + "\r\n";
        RawHttp.Response spoofed = RawHttp.send(mirror.port(), request);

        HttpResponse<byte[]> normal = mirror.get("/repos/octo/hello", "Authorization", "token host");

        assertThat(spoofed.status()).isEqualTo(200);
        assertThat(normal.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(JSON.readTree(normal.body()).get("url").asText())
                .isEqualTo(mirror.baseUrl() + "/repos/octo/hello");
        assertThat(new String(normal.body(), StandardCharsets.UTF_8)).doesNotContain("evil.example");
    }

    @Test
    void invalidHostHeaderNotUsedInUrls() throws Exception {
        String request = "GET /repos/octo/hello HTTP/1.1\r\n"
                + "Host: evil.example/\"><x\r\n"
                + "Connection: close\r\n"
                + "\r\n";

        RawHttp.Response response = RawHttp.send(mirror.port(), request);

        if (response.status() == 200) {
            assertThat(JSON.readTree(response.body()).get("url").asText())
                    .isEqualTo(mirror.baseUrl() + "/repos/octo/hello");
        } else {
            assertThat(response.status()).isEqualTo(400);
        }
        assertThat(response.bodyText()).doesNotContain("evil.example");
    }

    @Test
    void oversizedBodyGets413() throws Exception {
        try (MirrorHarness strict = MirrorHarness.start(github.baseUrl(), "--max-request-body-bytes=1KiB")) {
            HttpResponse<byte[]> response = strict.send(strict.request("/repos/octo/hello/issues")
                    .POST(HttpRequest.BodyPublishers.ofString("x".repeat(4096)))
                    .header("Authorization", "token body")
                    .build());

            assertThat(response.statusCode()).isEqualTo(413);
            assertThat(JSON.readTree(response.body()).get("message").asText()).contains("MAX_REQUEST_BODY_BYTES");
            assertThat(github.requestCount()).isZero();
            assertThat(strict.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void oversizedChunkedBodyNotTruncated() throws Exception {
        byte[] body = "y".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        try (MirrorHarness strict = MirrorHarness.start(github.baseUrl(), "--max-request-body-bytes=1KiB")) {
            int status;
            try {
                status = strict.send(strict.request("/repos/octo/hello/issues")
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                        .header("Authorization", "token body")
                        .build()).statusCode();
            } catch (IOException e) {
                status = -1; // the mirror closed the connection while the body was still arriving
            }

            assertThat(status).as("status").isNotEqualTo(201);
            assertThat(github.requests()).as("upstream requests").allSatisfy(upstream ->
                    assertThat(upstream.body()).as("body that reached upstream").isEqualTo(body));
            assertThat(strict.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void oversizedChunkedBodyGets413() throws Exception {
        byte[] body = "y".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        try (MirrorHarness strict = MirrorHarness.start(github.baseUrl(), "--max-request-body-bytes=1KiB")) {
            HttpResponse<byte[]> response = strict.send(strict.request("/repos/octo/hello/issues")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                    .header("Authorization", "token body")
                    .build());

            assertThat(response.statusCode()).isEqualTo(413);
        }
    }

    @Test
    void unreachableUpstreamGets502() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String upstream = "http://127.0.0.1:" + closedPort;

        try (MirrorHarness orphan = MirrorHarness.start(upstream)) {
            long started = System.nanoTime();
            HttpResponse<byte[]> response = orphan.get("/repos/octo/hello", "Authorization", "token unreachable");
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(elapsed).isLessThan(Duration.ofSeconds(3));
            JsonNode error = JSON.readTree(response.body());
            assertThat(error.get("message").asText()).contains(upstream);
            assertThat(error.get("documentation_url").asText()).startsWith("https://docs.github.com/");
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type).startsWith("application/json"));
            assertThat(orphan.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void slowUpstreamGets504() throws Exception {
        try (MirrorHarness impatient = MirrorHarness.start(github.baseUrl(), "--upstream-timeout=1s")) {
            github.delayNext(Duration.ofSeconds(10));

            long started = System.nanoTime();
            HttpResponse<byte[]> response = impatient.get("/repos/octo/hello", "Authorization", "token slow");
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

            assertThat(response.statusCode()).isEqualTo(504);
            assertThat(elapsed).isBetween(Duration.ofMillis(900), Duration.ofSeconds(3));
            JsonNode error = JSON.readTree(response.body());
            assertThat(error.get("message").asText()).contains(github.baseUrl());
            assertThat(error.get("documentation_url").asText()).startsWith("https://docs.github.com/");
            assertThat(impatient.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    private void assertStillHealthy() throws Exception {
        HttpResponse<byte[]> health = mirror.get("/healthz");
        assertThat(health.statusCode()).as("/healthz afterwards").isEqualTo(200);
        HttpResponse<byte[]> proxied = mirror.get("/repos/octo/hello");
        assertThat(proxied.statusCode()).as("proxied GET afterwards").isEqualTo(200);
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    }
}
