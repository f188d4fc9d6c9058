package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ghmirror.support.Conditions;
import io.ghmirror.support.MirrorHarness;
import io.ghmirror.support.MirrorState;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code --upstream-max-concurrency} bounds the upstream requests in flight, and the rest wait in a queue. */
class ResilienceConcurrencyTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void upstreamConcurrencyIsBounded() throws Exception {
        try (HeldUpstream upstream = new HeldUpstream();
                MirrorHarness mirror = MirrorHarness.start(upstream.baseUrl(), "--upstream-max-concurrency=2");
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<byte[]>>> responses = sendSixDistinct(mirror, threads);

            Conditions.await("two requests reach the upstream", WAIT, () -> upstream.arrived() == 2);
            Conditions.holds("no third request reaches the upstream", Duration.ofMillis(300),
                    () -> upstream.arrived() == 2);
            upstream.releaseAll();

            for (Future<HttpResponse<byte[]>> response : responses) {
                assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(upstream.arrived()).isEqualTo(6);
            assertThat(upstream.maxInFlight()).isEqualTo(2);
        }
    }

    @Test
    void slowBodyKeepsItsSlot() throws Exception {
        try (HeldUpstream upstream = new HeldUpstream(true);
                MirrorHarness mirror = MirrorHarness.start(upstream.baseUrl(), "--upstream-max-concurrency=2");
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<byte[]>>> responses = sendSixDistinct(mirror, threads);

            Conditions.await("two requests reach the upstream", WAIT, () -> upstream.arrived() >= 2);
            Conditions.holds("no third request reaches the upstream while two bodies are pending",
                    Duration.ofMillis(300), () -> upstream.arrived() == 2);
            upstream.releaseAll();

            for (Future<HttpResponse<byte[]>> response : responses) {
                assertThat(response.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(upstream.maxInFlight()).isEqualTo(2);
        }
    }

    @Test
    void queueMetricsAreExported() throws Exception {
        try (HeldUpstream upstream = new HeldUpstream();
                MirrorHarness mirror = MirrorHarness.start(upstream.baseUrl(), "--upstream-max-concurrency=2");
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<byte[]>>> responses = sendSixDistinct(mirror, threads);
            Conditions.await("two requests reach the upstream", WAIT, () -> upstream.arrived() == 2);

            String during = MirrorState.metrics(mirror);
            upstream.releaseAll();
            for (Future<HttpResponse<byte[]>> response : responses) {
                response.get(10, TimeUnit.SECONDS);
            }
            String after = MirrorState.metrics(mirror);

            assertThat(MirrorState.sample(during, "github_mirror_upstream_in_flight")).hasValue(2.0);
            assertThat(MirrorState.sample(after, "github_mirror_upstream_in_flight")).hasValue(0.0);
            assertThat(MirrorState.sample(after, "github_mirror_upstream_queue_seconds_count")).hasValue(6.0);
            assertThat(after).contains("github_mirror_upstream_queue_seconds_bucket{le=\"0.1\"}");
        }
    }

    private static List<Future<HttpResponse<byte[]>>> sendSixDistinct(MirrorHarness mirror, ExecutorService threads) {
        List<Future<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            String path = "/repos/octo/repo" + i;
            responses.add(threads.submit(() -> mirror.get(path, "Authorization", "token concurrency-test")));
        }
        return responses;
    }

    /**
     * An upstream on 127.0.0.1 that delays every response until the test releases it, counting the
     * requests in flight and the maximum seen. It delays either the whole response or, with
     * {@code holdBody}, only the body after sending the headers at once.
     */
    private static final class HeldUpstream implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        private final Semaphore releases = new Semaphore(0);
        private final AtomicInteger arrived = new AtomicInteger();
        private final AtomicInteger inFlight = new AtomicInteger();
        private final AtomicInteger maxInFlight = new AtomicInteger();
        private final boolean holdBody;

        HeldUpstream() throws IOException {
            this(false);
        }

        HeldUpstream(boolean holdBody) throws IOException {
            this.holdBody = holdBody;
            server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
            server.setExecutor(handlers);
            server.createContext("/", this::handle);
            server.start();
        }

        String baseUrl() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        int arrived() {
            return arrived.get();
        }

        int maxInFlight() {
            return maxInFlight.get();
        }

        /** Lets every held and future request through. */
        void releaseAll() {
            releases.release(1000);
        }

        private void handle(HttpExchange exchange) throws IOException {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            arrived.incrementAndGet();
            try (exchange) {
                byte[] body = ("{\"path\":\"" + exchange.getRequestURI().getRawPath() + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                exchange.getResponseHeaders().set("ETag", "\"" + Integer.toHexString(body.length) + "\"");
                OutputStream out = exchange.getResponseBody();
                if (holdBody) {
                    exchange.sendResponseHeaders(200, body.length);
                    out.flush();
                }
                if (!releases.tryAcquire(30, TimeUnit.SECONDS)) {
                    return; // the test ended without a release, so closing the exchange drops the response
                }
                if (!holdBody) {
                    exchange.sendResponseHeaders(200, body.length);
                }
                out.write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public void close() {
            releaseAll();
            server.stop(0);
            handlers.shutdownNow();
        }
    }
}
