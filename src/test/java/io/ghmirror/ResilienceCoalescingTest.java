package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ghmirror.fake.Fault;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.Conditions;
import io.ghmirror.support.MirrorHarness;
import io.ghmirror.support.MirrorState;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Identical requests that arrive while one is in flight upstream share its result. Each test delays
 * the first request (the leader) at the fake, waits until the fake has received it, and only then
 * sends the others, so they are certain to arrive while the leader is in flight.
 */
class ResilienceCoalescingTest {

    private static final String TOKEN = "token coalescing-test";
    private static final String PATH = "/repos/octo/hello";
    private static final Duration HOLD = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private FakeGitHub github;
    private MirrorHarness mirror;
    private ExecutorService threads;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        github.addRepository("octo/hello");
        mirror = MirrorHarness.start(github.baseUrl());
        threads = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        mirror.close();
        github.close();
    }

    @Test
    void identicalGetsShareOneRequest() throws Exception {
        github.delayNext(HOLD);
        Future<HttpResponse<byte[]>> leader = threads.submit(get(TOKEN));
        assertThat(github.awaitRequests(1, WAIT)).isTrue();

        List<HttpResponse<byte[]>> followers = sendTogether(19, get(TOKEN));
        HttpResponse<byte[]> first = leader.get(10, TimeUnit.SECONDS);

        assertThat(github.requestCount()).isEqualTo(1);
        assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(followers).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Cache")).hasValue("COALESCED");
            assertThat(response.body()).isEqualTo(first.body());
        });
    }

    @Test
    void differentTokensAreNotCoalesced() throws Exception {
        github.inject(Fault.delay(HOLD).times(2));
        Future<HttpResponse<byte[]>> first = threads.submit(get("token coalescing-a"));
        assertThat(github.awaitRequests(1, WAIT)).isTrue();

        HttpResponse<byte[]> second = threads.submit(get("token coalescing-b")).get(10, TimeUnit.SECONDS);

        assertThat(first.get(10, TimeUnit.SECONDS).headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(second.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(github.requestCount()).isEqualTo(2);
    }

    @Test
    void upstreamErrorIsShared() throws Exception {
        github.inject(Fault.serverError(502).delayedBy(HOLD));
        Future<HttpResponse<byte[]>> leader = threads.submit(get(TOKEN));
        assertThat(github.awaitRequests(1, WAIT)).isTrue();

        List<HttpResponse<byte[]>> followers = sendTogether(5, get(TOKEN));
        HttpResponse<byte[]> first = leader.get(10, TimeUnit.SECONDS);

        assertThat(github.requestCount()).isEqualTo(1);
        assertThat(first.statusCode()).isEqualTo(502);
        assertThat(followers).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.headers().firstValue("X-Cache")).hasValue("COALESCED");
            assertThat(response.body()).isEqualTo(first.body());
        });
    }

    @Test
    void disconnectedFollowerLeavesOthers() throws Exception {
        github.delayNext(HOLD);
        Future<HttpResponse<byte[]>> leader = threads.submit(get(TOKEN));
        assertThat(github.awaitRequests(1, WAIT)).isTrue();

        Socket quitter = sendRaw();
        List<Future<HttpResponse<byte[]>>> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            others.add(threads.submit(get(TOKEN)));
        }
        quitter.setSoLinger(true, 0);
        quitter.close();

        HttpResponse<byte[]> first = leader.get(10, TimeUnit.SECONDS);
        assertThat(first.statusCode()).isEqualTo(200);
        for (Future<HttpResponse<byte[]>> other : others) {
            HttpResponse<byte[]> response = other.get(10, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Cache")).hasValue("COALESCED");
            assertThat(response.body()).isEqualTo(first.body());
        }
        assertThat(github.requestCount()).isEqualTo(1);
        // Five requests in all reached the pipeline, the closed client's request included.
        Conditions.await("http_request_total counts all five requests", WAIT,
                () -> MirrorState.sample(MirrorState.metrics(mirror), "http_request_total").orElse(0) >= 5);
    }

    @Test
    void disconnectedLeaderLeavesFollowers() throws Exception {
        github.delayNext(HOLD);
        Socket quitter = sendRaw();
        assertThat(github.awaitRequests(1, WAIT)).isTrue();

        List<Future<HttpResponse<byte[]>>> followers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            followers.add(threads.submit(get(TOKEN)));
        }
        quitter.setSoLinger(true, 0);
        quitter.close();

        for (Future<HttpResponse<byte[]>> follower : followers) {
            HttpResponse<byte[]> response = follower.get(10, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Cache")).hasValue("COALESCED");
        }
        assertThat(github.requestCount()).isEqualTo(1);
    }

    @Test
    void timedOutFollowerServesStale() throws Exception {
        try (TricklingUpstream upstream = new TricklingUpstream();
                MirrorHarness shortTimeout = MirrorHarness.start(upstream.baseUrl(), "--upstream-timeout=1s")) {
            HttpResponse<byte[]> stored = shortTimeout.get(TricklingUpstream.PATH, "Authorization", TOKEN);
            Future<HttpResponse<byte[]>> leader = threads.submit(
                    () -> shortTimeout.get(TricklingUpstream.PATH, "Authorization", TOKEN));
            assertThat(upstream.awaitTrickle(WAIT)).isTrue();

            // The leader keeps receiving body bytes, so it outlasts the follower's wait of the
            // upstream timeout plus one second.
            HttpResponse<byte[]> follower = shortTimeout.get(TricklingUpstream.PATH, "Authorization", TOKEN);

            assertThat(follower.statusCode()).isEqualTo(200);
            assertThat(follower.headers().firstValue("X-Cache")).hasValue("STALE_TIMEOUT");
            assertThat(follower.body()).isEqualTo(stored.body());
            assertThat(leader.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    private Callable<HttpResponse<byte[]>> get(String token) {
        return () -> mirror.get(PATH, "Authorization", token);
    }

    /** Starts {@code count} copies of the request behind one start gate and returns their responses. */
    private List<HttpResponse<byte[]>> sendTogether(int count, Callable<HttpResponse<byte[]>> request)
            throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        List<Future<HttpResponse<byte[]>>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(threads.submit(() -> {
                gate.await();
                return request.call();
            }));
        }
        gate.countDown();
        List<HttpResponse<byte[]>> responses = new ArrayList<>();
        for (Future<HttpResponse<byte[]>> future : futures) {
            responses.add(future.get(10, TimeUnit.SECONDS));
        }
        return responses;
    }

    /** Sends the GET on a raw socket whose response is never read. */
    private Socket sendRaw() throws Exception {
        Socket socket = new Socket("127.0.0.1", mirror.port());
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + PATH + " HTTP/1.1\r\nHost: 127.0.0.1:" + mirror.port() + "\r\nAuthorization: " + TOKEN
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    /**
     * An upstream on 127.0.0.1 that responds to its first request at once and to every later one
     * with a new version whose body arrives one byte every 250 ms, about five seconds in all.
     */
    private static final class TricklingUpstream implements AutoCloseable {
        static final String PATH = "/repos/octo/slow";

        private final HttpServer server;
        private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        private final AtomicInteger requests = new AtomicInteger();
        private final CountDownLatch trickling = new CountDownLatch(1);

        TricklingUpstream() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
            server.setExecutor(handlers);
            server.createContext(PATH, this::handle);
            server.start();
        }

        String baseUrl() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        /** Waits until a response has started trickling and returns whether it did before the timeout. */
        boolean awaitTrickle(Duration timeout) throws InterruptedException {
            return trickling.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void handle(HttpExchange exchange) throws IOException {
            int number = requests.incrementAndGet();
            String json = number == 1 ? "{\"version\":1}" : "{\"version\":" + number + ",\"pad\":1}";
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            exchange.getResponseHeaders().set("ETag", "\"v" + number + "\"");
            try (exchange) {
                exchange.sendResponseHeaders(200, body.length);
                OutputStream out = exchange.getResponseBody();
                if (number == 1) {
                    out.write(body);
                    return;
                }
                out.flush();
                trickling.countDown();
                for (byte b : body) {
                    // Simulates a slow upstream, not synchronisation. Each byte arrives within the read timeout.
                    Thread.sleep(250);
                    out.write(b);
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            server.stop(0);
            handlers.shutdownNow();
        }
    }
}
