package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.fake.RecordedRequest;
import io.ghmirror.support.MirrorHarness;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hand-written requests on raw sockets to 127.0.0.1 that try to reach another host, leave the API
 * path of a GitHub Enterprise Server style upstream ({@code /api/v3}), smuggle a second request, or
 * exceed the size limits. After each one the mirror must still serve {@code /healthz}, the fake
 * must have seen only paths under {@code /api/v3/}, and a trap listener standing in for "another
 * host" must have received no connection.
 */
class HostileInputTest {

    private static final String API_PREFIX = "/api/v3";

    private static FakeGitHub github;
    private static MirrorHarness mirror;
    private static ServerSocketChannel trap;
    private static int trapPort;

    @BeforeAll
    static void start() throws Exception {
        github = FakeGitHub.start(API_PREFIX);
        github.addRepository("o/r");
        mirror = MirrorHarness.start(github.baseUrl(), "--max-request-header-bytes=4KiB",
                "--max-request-body-bytes=1KiB");
        trap = ServerSocketChannel.open();
        trap.bind(new InetSocketAddress("127.0.0.1", 0));
        trap.configureBlocking(false);
        trapPort = ((InetSocketAddress) trap.getLocalAddress()).getPort();
    }

    @AfterAll
    static void stop() throws IOException {
        mirror.close();
        github.close();
        trap.close();
    }

    @BeforeEach
    void forgetRequests() {
        github.clearRequests();
    }

    @AfterEach
    void mirrorStillServesAndStayedOnUpstream() throws Exception {
        RawExchange health = RawExchange.send(mirror.port(), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(health.status()).as("/healthz after the hostile request").isEqualTo(200);
        for (RecordedRequest request : github.requests()) {
            assertThat(request.path()).as("path the fake received").startsWith(API_PREFIX + "/");
        }
        try (SocketChannel intruder = trap.accept()) {
            assertThat(intruder).as("connection to the trap listener").isNull();
        }
    }

    // ---------------------------------------------------------------- other hosts

    @Test
    void absoluteFormGoesToUpstreamOnly() throws Exception {
        String authority = "127.0.0.1:" + trapPort;

        RawExchange exchange = send("GET http://" + authority + "/repos/o/r HTTP/1.1\r\nHost: " + authority
                + "\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(200);
        assertThat(paths()).containsExactly(API_PREFIX + "/repos/o/r");
    }

    @Test
    void absoluteFormWithOtherHostHeaderIsRejected() throws Exception {
        RawExchange exchange = send("GET http://evil.example/repos/o/r HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(400);
        assertThat(paths()).isEmpty();
    }

    @Test
    void connectIsRejectedWithoutTunnel() throws Exception {
        String authority = "127.0.0.1:" + trapPort;

        RawExchange exchange = send("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(405);
        assertThat(exchange.header("Allow")).doesNotContain("CONNECT");
        assertThat(exchange.body()).contains("\"message\":");
        assertThat(paths()).isEmpty();
    }

    @Test
    void connectToRemoteNameIsRejected() throws Exception {
        RawExchange exchange = send("CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(405);
        assertThat(paths()).isEmpty();
    }

    @Test
    void doubleSlashPathStaysUnderApiPrefix() throws Exception {
        RawExchange exchange = send("GET //127.0.0.1:" + trapPort + "/repos HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(404);
        assertThat(paths()).containsExactly(API_PREFIX + "//127.0.0.1:" + trapPort + "/repos");
    }

    @Test
    void hostHeaderDoesNotPoisonCache() throws Exception {
        RawExchange poisoned = send("GET /repos/o/r HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        RawExchange normal = send("GET /repos/o/r HTTP/1.1\r\nHost: 127.0.0.1:" + mirror.port() + "\r\n\r\n");

        assertThat(poisoned.status()).isEqualTo(200);
        assertThat(normal.status()).isEqualTo(200);
        assertThat(normal.body()).contains("http://127.0.0.1:" + mirror.port() + "/repos/o/r");
        assertThat(normal.body()).doesNotContain("evil.example");
    }

    // ---------------------------------------------------------------- leaving the API path

    @ParameterizedTest
    @ValueSource(strings = {
        "/repos/o/r/../../admin",
        "/../admin",
        "/repos/%2e%2e/%2e%2e/admin",
        "/repos/.%2E/admin",
        "/repos/..%2f..%2fadmin",
        "/repos/o/r/%2E%2E%2F%2E%2E%2Fadmin",
        "/repos/%5c..%5cadmin",
        "/repos/..%5C..%5Cadmin",
        "/repos\\..\\..\\admin",
        "/repos/%E2%80%A5/admin",
        "/repos/%E2%80%A4%E2%80%A4/admin",
        "/repos/%EF%BC%8E%EF%BC%8E/admin",
        "/repos/%EF%BC%8E%EF%BC%8E%EF%BC%8Fadmin",
        "/repos/%252e%252e/admin",
        "/repos/%25252e%25252e%25252fadmin",
        "/repos/..;x=1/admin",
        "/repos/%2e%2e;/admin",
        "/repos/%u002e%u002e/admin",
        "/repos/o/r%00",
    })
    void traversalIsRejected(String target) throws Exception {
        RawExchange exchange = send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        assertThat(exchange.status()).as(target).isEqualTo(400);
        assertThat(paths()).as(target).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/repos/o/r/branches/feature%2Fx",
        "/repos/o/r/contents/a%20b.txt",
        "/repos/o/r/contents/...",
        "/repos/o/r/contents/.github/workflows",
        "/repos/o/r/git/refs/heads/release%2F1.0",
    })
    void encodedButHarmlessTargetIsForwarded(String target) throws Exception {
        RawExchange exchange = send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        assertThat(exchange.status()).as(target).isNotEqualTo(400);
        assertThat(paths()).as(target).containsExactly(API_PREFIX + target);
    }

    // ---------------------------------------------------------------- request smuggling and framing

    @Test
    void contentLengthWithChunkedIsRejectedAndClosed() throws Exception {
        RawExchange exchange = sendAwaitingClose("POST /repos/o/r/issues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(400);
        assertThat(exchange.closed()).isTrue();
        assertThat(paths()).isEmpty();
    }

    @Test
    void conflictingContentLengthsAreRejectedAndClosed() throws Exception {
        RawExchange exchange = sendAwaitingClose("POST /repos/o/r/issues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Length: 4\r\nContent-Length: 40\r\n\r\nabcdGET /smuggled HTTP/1.1\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(400);
        assertThat(exchange.closed()).isTrue();
        assertThat(paths()).isEmpty();
    }

    @Test
    void invalidChunkSizeIsRejectedAndClosed() throws Exception {
        RawExchange exchange = sendAwaitingClose("POST /repos/o/r/issues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(400);
        assertThat(exchange.closed()).isTrue();
        assertThat(exchange.body()).contains("\"message\":");
        assertThat(paths()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding : chunked\r\n",
        "Transfer-Encoding: xchunked\r\n",
    })
    void malformedTransferEncodingIsRejected(String header) throws Exception {
        RawExchange exchange = sendAwaitingClose("POST /repos/o/r/issues HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header
                + "\r\n0\r\n\r\n");

        assertThat(exchange.status()).as(header).isIn(400, 501);
        assertThat(exchange.closed()).as(header).isTrue();
        assertThat(paths()).as(header).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-Note: a\rb\r\n", "X-Note: a\r\n folded\r\n", "X-Note: a\nb\r\n"})
    void lineBreakInHeaderValueIsRejected(String header) throws Exception {
        RawExchange exchange = send("GET /repos/o/r HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + "\r\n");

        assertThat(exchange.status()).isEqualTo(400);
        assertThat(paths()).isEmpty();
    }

    // ---------------------------------------------------------------- size limits

    @Test
    void overlongRequestLineIsRejected() throws Exception {
        RawExchange exchange = send("GET /repos/o/r?q=" + "a".repeat(8_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        assertThat(exchange.status()).isIn(414, 431);
        assertThat(paths()).isEmpty();
    }

    @Test
    void oversizedHeadersGet431() throws Exception {
        RawExchange exchange = send("GET /repos/o/r HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "b".repeat(5_000)
                + "\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(431);
        assertThat(paths()).isEmpty();
    }

    @Test
    void oversizedBodyGets413() throws Exception {
        RawExchange exchange = send("POST /repos/o/r/issues HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000\r\n"
                + "\r\n" + "x".repeat(2_000));

        assertThat(exchange.status()).isEqualTo(413);
        assertThat(paths()).isEmpty();
    }

    @Test
    void oversizedChunkedBodyGets413() throws Exception {
        RawExchange exchange = sendAwaitingClose("POST /repos/o/r/issues HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n7d0\r\n" + "x".repeat(2_000) + "\r\n0\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(413);
        assertThat(exchange.closed()).isTrue();
        assertThat(paths()).isEmpty();
    }

    @Test
    void bodyWithinLimitIsForwarded() throws Exception {
        RawExchange exchange = send("POST /repos/o/r/issues HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: "
                + "chunked\r\nContent-Type: application/json\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n");

        assertThat(exchange.status()).isEqualTo(201);
        assertThat(paths()).containsExactly(API_PREFIX + "/repos/o/r/issues");
        assertThat(github.requests().get(0).bodyAsString()).isEqualTo("{\"a\":1}");
    }

    private static RawExchange send(String request) throws IOException {
        return RawExchange.send(mirror.port(), request);
    }

    private static RawExchange sendAwaitingClose(String request) throws IOException {
        return RawExchange.sendAwaitingClose(mirror.port(), request);
    }

    private static List<String> paths() {
        return github.requests().stream().map(RecordedRequest::path).toList();
    }
}
