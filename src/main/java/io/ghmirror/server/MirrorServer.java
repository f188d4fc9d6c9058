package io.ghmirror.server;

import io.ghmirror.config.Settings;
import io.ghmirror.mirror.MirrorPipeline;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP listener: Jetty 12 with request handling on virtual threads. Routes {@code /metrics},
 * {@code /healthz}, {@code /readyz} and {@code /admin/} to their handlers and everything else to
 * the mirror pipeline. Owns connection-level limits: idle timeout, header size, graceful stop.
 */
public final class MirrorServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MirrorServer.class);

    private final Server server;
    private final ServerConnector connector;
    private final Routes routes;

    /**
     * @param readiness returns the JSON detail of {@code /readyz}, and whether the mirror is ready
     * @param admin handler for {@code /admin/}, or {@code null} when the admin API is disabled
     */
    public MirrorServer(Settings settings, MirrorPipeline pipeline, MetricsEndpoint metrics,
            Supplier<Routes.Readiness> readiness, Handler admin) {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("http");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(settings.limits().maxRequestHeaderBytes());
        http.setResponseHeaderSize(64 * 1024);
        // The mirror forwards the raw path and never maps it to files, so encoded slashes (which
        // octokit sends for branch names) are not ambiguous here. Dot segments are rejected by
        // the pipeline itself.
        http.setUriCompliance(UriCompliance.DEFAULT.with("mirror",
                UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
                UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING,
                UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT,
                UriCompliance.Violation.AMBIGUOUS_PATH_SEGMENT,
                UriCompliance.Violation.AMBIGUOUS_PATH_PARAMETER,
                UriCompliance.Violation.SUSPICIOUS_PATH_CHARACTERS));

        connector = TlsConnectors.create(server, settings, http,
                new HttpConnectionFactory(http), new HTTP2CServerConnectionFactory(http));
        connector.setHost(settings.bindAddress());
        connector.setPort(settings.port());
        connector.setIdleTimeout(settings.limits().idleTimeout().toMillis());
        server.addConnector(connector);

        routes = new Routes(new ProxyHandler(pipeline, settings), metrics, readiness, admin);
        server.setHandler(new GracefulHandler(routes));
        server.setErrorHandler(new JsonErrorHandler());
        server.setStopTimeout(settings.limits().shutdownGracePeriod().toMillis());
        server.setStopAtShutdown(false);
    }

    /** Starts listening; returns once the port is bound. */
    public void start() throws Exception {
        server.start();
        log.info("Listening on {}:{}", connector.getHost(), connector.getLocalPort());
    }

    /** Returns the bound port, useful when the configured port was 0. */
    public int port() {
        return connector.getLocalPort();
    }

    /**
     * Stops accepting connections, lets in-flight requests finish within the grace period, then
     * closes the listener.
     */
    public void stopGracefully() {
        routes.draining(true);
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("Stopping the HTTP server failed: {}", e.toString());
        }
    }

    /** Blocks until the server has stopped. */
    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() {
        stopGracefully();
    }
}
