package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.fake.RecordedRequest;
import io.ghmirror.support.MirrorHarness;
import io.ghmirror.support.RawHttp;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What reaches the upstream, and how: targets, methods, bodies and headers, through real sockets. */
class CoreProxyingTest {

    private static final String TOKEN = "token proxying";
    private static final ObjectMapper JSON = new ObjectMapper();

    private FakeGitHub github;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        // The 5 MB bodies can take seconds on a busy machine, longer than the harness default allows.
        mirror = MirrorHarness.start(github.baseUrl(), "--upstream-timeout=60s");
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
    void targetsReachUpstreamByteForByte() throws Exception {
        List<String> targets = List.of(
                "/search/issues?q=a%20b+c&sort=&x=%2F&labels[]=1",
                "/search/code?q=repo:octo/hello+path:%22a+b%22&per_page=5",
                "/repos/octo/hello/git/refs/heads/feature%2Fx",
                "/repos/octo/hello/issues?labels=bug,ui&state=all&state=open&empty",
                "/repos/octo/hello/contents/dir/%C3%A4.txt?ref=v1.0");

        for (String target : targets) {
            github.clearRequests();
            HttpResponse<byte[]> response = mirror.get(target, "Authorization", TOKEN);

            assertThat(response.statusCode()).as("status for %s", target).isIn(200, 404);
            assertThat(github.requests()).as("upstream requests for %s", target).hasSize(1);
            assertThat(github.requests().get(0).target()).as("upstream target").isEqualTo(target);
        }
    }

    @Test
    void missSendsExactlyOneRequest() throws Exception {
        github.addRepository("octo/hello");

        mirror.get("/repos/octo/hello", "Authorization", TOKEN);

        assertThat(github.requests()).singleElement().satisfies(request -> {
            assertThat(request.method()).isEqualTo("GET");
            assertThat(request.target()).isEqualTo("/repos/octo/hello");
        });
    }

    @Test
    void writeBodiesForwardedExactly() throws Exception {
        String body = "{\"title\":\"Grüße \\u0000 \\\"quoted\\\"\",\"labels\":[\"a\",\"b\"]}\n";
        for (String method : List.of("POST", "PATCH", "PUT", "DELETE")) {
            github.clearRequests();
            HttpRequest request = mirror.request("/repos/octo/hello/issues/1")
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                    .header("Authorization", TOKEN)
                    .header("Content-Type", "application/json; charset=utf-8")
                    .build();

            HttpResponse<byte[]> response = mirror.send(request);

            assertThat(response.statusCode()).as("status of %s", method).isEqualTo(201);
            assertThat(github.requests()).as("upstream requests of %s", method).hasSize(1);
            RecordedRequest upstream = github.requests().get(0);
            assertThat(upstream.method()).isEqualTo(method);
            assertThat(upstream.body()).as("body of %s", method).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
            assertThat(upstream.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
            JsonNode echo = JSON.readTree(response.body());
            assertThat(echo.get("body").asText()).isEqualTo(body);
        }
    }

    @Test
    void expectContinueBodyForwarded() throws Exception {
        String body = "{\"body\":\"" + "z".repeat(8 * 1024) + "\"}";
        HttpRequest request = mirror.request("/repos/octo/hello/issues/1/comments")
                .expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", TOKEN)
                .header("Content-Type", "application/json")
                .build();

        HttpResponse<byte[]> response = mirror.send(request);

        assertThat(response.statusCode()).isEqualTo(201);
        RecordedRequest upstream = github.requests().get(0);
        assertThat(upstream.bodyAsString()).isEqualTo(body);
        assertThat(upstream.header("Expect")).isNull();
    }

    @Test
    void chunkedBodyForwardedExactly() throws Exception {
        byte[] body = new byte[200 * 1024];
        new Random(11).nextBytes(body);
        HttpRequest request = mirror.request("/repos/octo/hello/releases/1/assets?name=blob.bin")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)))
                .header("Authorization", TOKEN)
                .header("Content-Type", "application/octet-stream")
                .build();

        HttpResponse<byte[]> response = mirror.send(request);

        assertThat(response.statusCode()).isEqualTo(201);
        RecordedRequest upstream = github.requests().get(0);
        assertThat(upstream.body()).isEqualTo(body);
        assertThat(upstream.header("Content-Type")).isEqualTo("application/octet-stream");
    }

    @Test
    void largeBinaryGetByteExact() throws Exception {
        byte[] asset = new byte[5 * 1024 * 1024];
        new Random(5).nextBytes(asset);
        github.putRaw("/repos/octo/hello/releases/assets/1", asset, "application/octet-stream");

        HttpResponse<byte[]> miss = mirror.get("/repos/octo/hello/releases/assets/1", "Authorization", TOKEN);
        HttpResponse<byte[]> hit = mirror.get("/repos/octo/hello/releases/assets/1", "Authorization", TOKEN);

        assertThat(miss.statusCode()).isEqualTo(200);
        assertThat(miss.body()).hasSameSizeAs(asset);
        assertThat(sha256(miss.body())).isEqualTo(sha256(asset));
        assertThat(miss.body()).isEqualTo(asset);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(hit.body()).isEqualTo(asset);
    }

    @Test
    void chunkedUpstreamResponseByteExact() throws Exception {
        byte[] asset = new byte[1024 * 1024 + 17];
        new Random(8).nextBytes(asset);
        github.putRaw("/repos/octo/hello/releases/assets/2", asset, "application/octet-stream");
        github.setChunkedResponses(true);

        HttpResponse<byte[]> miss = mirror.get("/repos/octo/hello/releases/assets/2", "Authorization", TOKEN);
        HttpResponse<byte[]> hit = mirror.get("/repos/octo/hello/releases/assets/2", "Authorization", TOKEN);

        assertThat(miss.statusCode()).isEqualTo(200);
        assertThat(miss.body()).isEqualTo(asset);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(hit.body()).isEqualTo(asset);
    }

    @Test
    void largeBinaryPostByteExact() throws Exception {
        byte[] asset = new byte[5 * 1024 * 1024];
        new Random(6).nextBytes(asset);
        HttpRequest request = mirror.request("/repos/octo/hello/releases/1/assets?name=big.bin")
                .POST(HttpRequest.BodyPublishers.ofByteArray(asset))
                .header("Authorization", TOKEN)
                .header("Content-Type", "application/octet-stream")
                .build();

        HttpResponse<byte[]> response = mirror.send(request);

        assertThat(response.statusCode()).isEqualTo(201);
        byte[] received = github.requests().get(0).body();
        assertThat(received).hasSameSizeAs(asset);
        assertThat(sha256(received)).isEqualTo(sha256(asset));
    }

    @Test
    void hopByHopHeadersNotForwarded() throws Exception {
        github.addRepository("octo/hello");
        String request = "GET /repos/octo/hello HTTP/1.1\r\n"
                + "Host: mirror.internal:8080\r\n"
                + "Connection: X-Foo, Keep-Alive, TE, Upgrade, close\r\n"
                + "X-Foo: per-hop-value\r\n"
                + "Keep-Alive: timeout=5\r\n"
                + "TE: trailers\r\n"
                + "Upgrade: example/1\r\n"
                + "Proxy-Authorization: Basic cHJveHk6c2VjcmV0\r\n"
                + "Proxy-Connection: keep-alive\r\n"
                + "Authorization: " + TOKEN + "\r\n"
                + "X-End-To-End: kept\r\n"
                + "\r\n";

        RawHttp.Response response = RawHttp.send(mirror.port(), request);

        assertThat(response.status()).as(response.bodyText()).isEqualTo(200);
        RecordedRequest upstream = github.requests().get(0);
        for (String name : List.of("X-Foo", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization",
                "Proxy-Connection")) {
            assertThat(upstream.header(name)).as("upstream header %s", name).isNull();
        }
        assertThat(upstream.headerValues("Connection")).as("upstream Connection")
                .noneMatch(value -> value.toLowerCase().contains("x-foo"));
        assertThat(upstream.header("Host")).isEqualTo("127.0.0.1:" + github.port());
        assertThat(upstream.header("X-End-To-End")).isEqualTo("kept");
        assertThat(upstream.header("Authorization")).isEqualTo(TOKEN);
    }

    @Test
    void strayUpgradeHeaderRejectedSafely() throws Exception {
        github.addRepository("octo/hello");
        // RFC 9110 section 7.8 says an Upgrade field without "upgrade" in Connection is ignored;
        // Jetty 12.1 rejects it instead. The request must still never reach the upstream.
        String request = "GET /repos/octo/hello HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n"
                + "Upgrade: example/1\r\n"
                + "Connection: close\r\n"
                + "\r\n";

        RawHttp.Response response = RawHttp.send(mirror.port(), request);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.bodyText()).contains("\"message\"");
        assertThat(github.requests()).isEmpty();
    }

    @Test
    void endToEndHeadersForwarded() throws Exception {
        github.addRepository("octo/hello");

        mirror.get("/repos/octo/hello",
                "Authorization", TOKEN,
                "Accept", "application/vnd.github+json",
                "User-Agent", "core-test-agent/1.0",
                "X-GitHub-Api-Version", "2022-11-28");

        RecordedRequest upstream = github.requests().get(0);
        assertThat(upstream.header("Authorization")).isEqualTo(TOKEN);
        assertThat(upstream.header("Accept")).isEqualTo("application/vnd.github+json");
        assertThat(upstream.header("User-Agent")).isEqualTo("core-test-agent/1.0");
        assertThat(upstream.header("X-GitHub-Api-Version")).isEqualTo("2022-11-28");
    }

    @Test
    void headReturnsStatusWithoutBody() throws Exception {
        github.addRepository("octo/hello");
        HttpRequest head = mirror.request("/repos/octo/hello")
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Authorization", TOKEN)
                .build();

        HttpResponse<byte[]> beforeGet = mirror.send(head);
        HttpResponse<byte[]> get = mirror.get("/repos/octo/hello", "Authorization", TOKEN);
        HttpResponse<byte[]> afterGet = mirror.send(head);

        assertThat(beforeGet.statusCode()).isEqualTo(200);
        assertThat(beforeGet.body()).isEmpty();
        // The mirror sends a HEAD upstream as a GET, so it can store the entry and give the HEAD the
        // Content-Length of the body a GET would carry.
        assertThat(github.requests().get(0).method()).isEqualTo("GET");
        assertThat(afterGet.statusCode()).isEqualTo(200);
        assertThat(afterGet.body()).isEmpty();
        assertThat(afterGet.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(afterGet.headers().firstValue("ETag")).isEqualTo(get.headers().firstValue("ETag"));
    }

    @Test
    void headContentLengthMatchesGet() throws Exception {
        github.addRepository("octo/hello");
        HttpRequest head = mirror.request("/repos/octo/hello")
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Authorization", TOKEN)
                .build();

        HttpResponse<byte[]> headResponse = mirror.send(head);
        HttpResponse<byte[]> get = mirror.get("/repos/octo/hello", "Authorization", TOKEN);

        // RFC 9110 section 8.6: a Content-Length in a HEAD response must be the length a GET would send.
        headResponse.headers().firstValue("Content-Length").ifPresent(length ->
                assertThat(Long.parseLong(length)).isEqualTo(get.body().length));
    }

    @Test
    void enterprisePrefixAddedAndRewritten() throws Exception {
        try (FakeGitHub enterprise = FakeGitHub.start("/api/v3");
                MirrorHarness enterpriseMirror = MirrorHarness.start(enterprise.baseUrl())) {
            enterprise.addRepository("octo/hello");
            enterprise.addIssues("octo/hello", 40);

            HttpResponse<byte[]> repository = enterpriseMirror.get("/repos/octo/hello", "Authorization", TOKEN);
            HttpResponse<byte[]> issues = enterpriseMirror.get("/repos/octo/hello/issues?per_page=30",
                    "Authorization", TOKEN);

            assertThat(repository.statusCode()).isEqualTo(200);
            assertThat(enterprise.requests().get(0).target()).isEqualTo("/api/v3/repos/octo/hello");
            assertThat(enterprise.requests().get(1).target()).isEqualTo("/api/v3/repos/octo/hello/issues?per_page=30");
            JsonNode body = JSON.readTree(repository.body());
            assertThat(body.get("url").asText()).isEqualTo(enterpriseMirror.baseUrl() + "/repos/octo/hello");
            assertThat(new String(repository.body(), StandardCharsets.UTF_8)).doesNotContain(enterprise.baseUrl());
            assertThat(issues.headers().firstValue("Link").orElseThrow())
                    .contains("<" + enterpriseMirror.baseUrl() + "/repos/octo/hello/issues?per_page=30&page=2>")
                    .doesNotContain("/api/v3");
        }
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
