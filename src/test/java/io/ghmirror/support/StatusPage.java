package io.ghmirror.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A fake of the GitHub status API on 127.0.0.1, serving {@code components.json} in the shape of
 * githubstatus.com (a Statuspage site) with a settable status of the "API Requests" component.
 */
public final class StatusPage implements AutoCloseable {

    /** The path of the components list. */
    public static final String PATH = "/api/v2/components.json";

    private final HttpServer server;
    private final Object lock = new Object();
    private String apiRequestsStatus; // guarded by lock
    private int errorStatus; // guarded by lock, and 0 serves the components
    private int requests; // guarded by lock
    private boolean closed; // guarded by lock

    private StatusPage(String apiRequestsStatus) throws IOException {
        this.apiRequestsStatus = apiRequestsStatus;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
        server.createContext(PATH, this::handle);
        server.start();
    }

    /**
     * Starts serving the components with the given "API Requests" status, such as
     * {@code operational} or {@code major_outage}.
     */
    public static StatusPage start(String apiRequestsStatus) throws IOException {
        return new StatusPage(apiRequestsStatus);
    }

    /** Returns the URL of the components list. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
    }

    /** Sets the status of the "API Requests" component in later responses. */
    public void setApiRequests(String status) {
        synchronized (lock) {
            apiRequestsStatus = status;
            errorStatus = 0;
        }
    }

    /** Makes later responses fail with the HTTP status instead of serving the components. */
    public void failWith(int status) {
        synchronized (lock) {
            errorStatus = status;
        }
    }

    /** Returns the number of requests received. */
    public int requestCount() {
        synchronized (lock) {
            return requests;
        }
    }

    /** Waits until at least {@code count} requests arrived and returns whether they did before the timeout. */
    public boolean awaitRequests(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (requests < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }

    /** Stops the server, so the port refuses connections. Later calls do nothing. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String status;
        int error;
        synchronized (lock) {
            status = apiRequestsStatus;
            error = errorStatus;
        }
        byte[] body = error == 0
                ? components(status).getBytes(StandardCharsets.UTF_8)
                : "{\"error\":\"unavailable\"}".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(error == 0 ? 200 : error, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        // Counted after the response, so a test that saw the count can rely on the poller having read it.
        synchronized (lock) {
            requests++;
            lock.notifyAll();
        }
    }

    private static String components(String apiRequestsStatus) {
        return "{\"page\":{\"id\":\"kctbh9vrtdwd\",\"name\":\"GitHub\",\"time_zone\":\"Etc/UTC\"},"
                + "\"components\":["
                + component("8l4ygp009s5s", "Git Operations", "operational", 1)
                + "," + component("brv1bkgrwx7q", "API Requests", apiRequestsStatus, 2)
                + "," + component("4230lsnqdsld", "Webhooks", "operational", 3)
                + "]}";
    }

    private static String component(String id, String name, String status, int position) {
        return "{\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"status\":\"" + status + "\","
                + "\"created_at\":\"2017-01-31T20:01:46.621Z\",\"updated_at\":\"2025-01-01T00:00:00.000Z\","
                + "\"position\":" + position + ",\"description\":null,\"showcase\":false,\"start_date\":null,"
                + "\"group_id\":null,\"page_id\":\"kctbh9vrtdwd\",\"group\":false,\"only_show_if_degraded\":false}";
    }
}
