package io.ghmirror.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Sends the mirror's own endpoints to their handlers and everything else to the proxy. */
public final class Routes extends Handler.Abstract {

    /** The state reported by {@code /readyz}. */
    public record Readiness(boolean ready, String json) {}

    private final Handler proxy;
    private final MetricsEndpoint metrics;
    private final Supplier<Readiness> readiness;
    private final Handler admin;
    private volatile boolean draining;

    Routes(Handler proxy, MetricsEndpoint metrics, Supplier<Readiness> readiness, Handler admin) {
        this.proxy = proxy;
        this.metrics = metrics;
        this.readiness = readiness;
        this.admin = admin;
    }

    void draining(boolean value) {
        draining = value;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = request.getHttpURI().getPath();
        String method = request.getMethod();
        boolean read = method.equals("GET") || method.equals("HEAD");
        if (read && "/metrics".equals(path)) {
            respond(response, callback, 200, metrics.contentType(), metrics.scrape(), method);
            return true;
        }
        if (read && "/healthz".equals(path)) {
            respond(response, callback, 200, "text/plain; charset=utf-8", "OK".getBytes(StandardCharsets.UTF_8), method);
            return true;
        }
        if (read && "/readyz".equals(path)) {
            Readiness state = readiness.get();
            boolean ready = state.ready() && !draining;
            String json = draining ? state.json().replaceFirst("\"status\":\"[a-z]+\"", "\"status\":\"draining\"") : state.json();
            respond(response, callback, ready ? 200 : 503, "application/json; charset=utf-8",
                    json.getBytes(StandardCharsets.UTF_8), method);
            return true;
        }
        // Without ADMIN_TOKEN, /admin/ belongs to upstream: GitHub Enterprise Server has a site-admin API there.
        if (admin != null && path != null && (path.equals("/admin") || path.startsWith("/admin/"))) {
            return admin.handle(request, response, callback);
        }
        return proxy.handle(request, response, callback);
    }

    private static void respond(Response response, Callback callback, int status, String contentType, byte[] body,
            String method) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, method.equals("HEAD") ? null : ByteBuffer.wrap(body), callback);
    }
}
