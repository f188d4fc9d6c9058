package io.ghmirror.support;

import io.ghmirror.MirrorApplication;
import io.ghmirror.config.MirrorCommand;
import io.ghmirror.config.Settings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Starts an in-process mirror on a free loopback port, configured through the same command line
 * a user types, so tests exercise the real settings parsing too.
 */
public final class MirrorHarness implements AutoCloseable {

    private final MirrorApplication application;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private MirrorHarness(MirrorApplication application) {
        this.application = application;
    }

    /**
     * Starts a mirror in front of the upstream with a memory-only cache, plus any extra flags.
     *
     * @param upstreamUrl the fake GitHub's base URL
     * @param extraArgs further flags such as {@code --cache-type=disk}; a flag the harness already
     *     sets, such as {@code --upstream-timeout}, takes the value given here
     */
    public static MirrorHarness start(String upstreamUrl, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--bind-address=127.0.0.1",
                "--port=0",
                "--github-api-url=" + upstreamUrl,
                "--cache-type=memory",
                "--github-status-url=",
                "--upstream-timeout=5s",
                "--upstream-connect-timeout=2s"));
        args.addAll(List.of(extraArgs));
        return new MirrorHarness(MirrorApplication.start(settings(args.toArray(String[]::new))));
    }

    /**
     * Parses flags into settings as the main entry point does, except that a repeated flag takes
     * its last value, so that the extra flags of {@link #start} override the harness defaults.
     */
    public static Settings settings(String... args) {
        MirrorCommand command = new MirrorCommand();
        new CommandLine(command).setOverwrittenOptionsAllowed(true).parseArgs(args);
        return command.toSettings();
    }

    public MirrorApplication application() {
        return application;
    }

    public int port() {
        return application.port();
    }

    /** Returns the mirror's base URL, such as {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /** Returns a request builder for a path and query on the mirror. */
    public HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(baseUrl() + pathAndQuery)).timeout(Duration.ofSeconds(20));
    }

    /** Sends a GET with the given header name/value pairs and returns the body as bytes. */
    public HttpResponse<byte[]> get(String pathAndQuery, String... headerPairs) throws IOException, InterruptedException {
        HttpRequest.Builder builder = request(pathAndQuery).GET();
        for (int i = 0; i + 1 < headerPairs.length; i += 2) {
            builder.header(headerPairs[i], headerPairs[i + 1]);
        }
        return client.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Sends any request and returns the body as bytes. */
    public HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Returns the current /metrics text. */
    public String metrics() throws IOException, InterruptedException {
        return new String(get("/metrics").body(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        application.close();
        client.close();
    }
}
