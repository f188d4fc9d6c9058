package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.Conditions;
import io.ghmirror.support.MirrorHarness;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readiness reporting and graceful shutdown of a running mirror. */
class LifecycleShutdownTest {

    private static final String TOKEN = "token lifecycle-test";
    private static final String PATH = "/repos/octo/hello";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private FakeGitHub github;
    private ExecutorService threads;

    @BeforeEach
    void start() {
        github = FakeGitHub.start();
        github.addRepository("octo/hello");
        threads = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        github.close();
    }

    @Test
    void readyzReportsUpstreamAndTiers(@TempDir Path cacheDir) throws Exception {
        try (MirrorHarness mirror = MirrorHarness.start(github.baseUrl(),
                "--cache-type=disk", "--cache-dir=" + cacheDir)) {
            HttpResponse<byte[]> response = mirror.get("/readyz");

            String json = new String(response.body(), StandardCharsets.UTF_8);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            assertThat(json).contains("\"status\":\"ready\"");
            assertThat(json).contains("\"offline\":false");
            assertThat(json).contains("\"circuit\":\"closed\"");
            assertThat(json).contains("{\"tier\":\"memory\",\"state\":\"ok\"}");
            assertThat(json).contains("{\"tier\":\"disk\",\"state\":\"ok\"}");
        }
    }

    @Test
    void shutdownFinishesInFlightRequest() throws Exception {
        MirrorHarness mirror = MirrorHarness.start(github.baseUrl());
        try {
            github.delayNext(Duration.ofSeconds(1));
            Future<HttpResponse<byte[]>> inFlight = threads.submit(() -> mirror.get(PATH, "Authorization", TOKEN));
            assertThat(github.awaitRequests(1, WAIT)).isTrue();

            Future<?> closing = threads.submit(() -> mirror.application().close());
            HttpResponse<byte[]> response = inFlight.get(10, TimeUnit.SECONDS);
            closing.get(10, TimeUnit.SECONDS);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("\"full_name\":\"octo/hello\"");
        } finally {
            mirror.close();
        }
    }

    @Test
    void shutdownRefusesNewConnections() throws Exception {
        MirrorHarness mirror = MirrorHarness.start(github.baseUrl());
        int port = mirror.port(); // the stopped connector no longer reports it
        try {
            github.delayNext(Duration.ofSeconds(3));
            Future<HttpResponse<byte[]>> inFlight = threads.submit(() -> mirror.get(PATH, "Authorization", TOKEN));
            assertThat(github.awaitRequests(1, WAIT)).isTrue();

            Future<?> closing = threads.submit(() -> mirror.application().close());

            Conditions.await("the listener refuses connections", WAIT, () -> refuses(port));
            assertThat(inFlight).isNotDone();
            assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            closing.get(10, TimeUnit.SECONDS);
            assertThat(refuses(port)).isTrue();
        } finally {
            mirror.close();
        }
    }

    private static boolean refuses(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
