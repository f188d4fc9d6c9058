package io.ghmirror.access;

import io.ghmirror.cache.CacheStore;
import io.ghmirror.cache.CacheStoreException;
import io.ghmirror.cache.TierCounters;
import io.ghmirror.cache.TieredCache;
import io.ghmirror.config.Settings;
import io.ghmirror.metrics.MirrorMetrics;
import io.ghmirror.mirror.ErrorBodies;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API under {@code /admin/}, enabled by {@code ADMIN_TOKEN}:
 *
 * <ul>
 *   <li>{@code GET /admin/stats}: entries, bytes and operation counters per cache tier.
 *   <li>{@code DELETE /admin/cache?url=URL}: purges every variant of one target; the URL may be a
 *       mirror URL, an upstream URL or a path with query.
 *   <li>{@code DELETE /admin/cache?prefix=/repos/owner/}: purges every target under a path prefix.
 *   <li>{@code DELETE /admin/cache?all=true}: purges everything.
 * </ul>
 *
 * <p>Every request needs {@code Authorization: Bearer ADMIN_TOKEN}, compared in constant time.
 * Every action is logged with the caller's address, never with the token.
 */
public final class AdminHandler extends Handler.Abstract {

    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);

    /** Query parameters that carry credentials, redacted in log lines. */
    private static final Pattern SECRET_QUERY = Pattern.compile("(?i)(access_token|client_secret)=[^&]*");

    /** Minimum time between two log lines about rejected admin requests, so a flood cannot fill the log. */
    private static final long REJECTION_LOG_INTERVAL_NANOS = 10_000_000_000L;

    private static final String USAGE = "Use DELETE /admin/cache with exactly one of url=<mirror URL, GitHub URL or "
            + "path with query>, prefix=<path prefix such as /repos/owner/> or all=true. Percent-encode the value.";

    private final byte[] expectedDigest;
    private final TieredCache cache;
    private final MirrorMetrics metrics;
    private final URI upstream;
    private final URI publicUrl;
    private final Object rejectionLogLock = new Object();
    private long lastRejectionLogNanos;
    private long suppressedRejections;
    private boolean rejectionLogged;

    /**
     * @param settings supplies the admin token, the upstream base URL and the public URL, which
     *     {@code url=} values are translated from
     * @throws IllegalArgumentException when no admin token is configured
     */
    public AdminHandler(Settings settings, TieredCache cache, MirrorMetrics metrics) {
        String token = settings.access().adminToken();
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("the admin API needs ADMIN_TOKEN");
        }
        this.expectedDigest = sha256(token);
        this.cache = cache;
        this.metrics = metrics;
        this.upstream = settings.upstream();
        this.publicUrl = settings.publicUrl();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        String method = request.getMethod();
        String remote = remoteAddress(request);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");

        if (!authorized(request.getHeaders().getValuesList(HttpHeader.AUTHORIZATION))) {
            logRejection(method, path, remote);
            metrics.countAdminAction(actionOf(path), "unauthorized");
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"github-mirror admin\"");
            sendError(response, callback, 401, "Requires authentication: send Authorization: Bearer <ADMIN_TOKEN>.");
            return true;
        }

        switch (path) {
            case "/admin/stats" -> {
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    methodNotAllowed(response, callback, "stats", method, "GET, HEAD", remote);
                } else {
                    stats(request, response, callback, remote);
                }
            }
            case "/admin/cache" -> {
                if (!method.equals("DELETE")) {
                    methodNotAllowed(response, callback, "purge", method, "DELETE", remote);
                } else {
                    purge(request, response, callback, remote);
                }
            }
            default -> {
                log.info("Admin request from {}: {} {} is not an admin endpoint", remote, method, path);
                metrics.countAdminAction("unknown", "not_found");
                sendError(response, callback, 404, "Not Found. The admin API has GET /admin/stats and DELETE "
                        + "/admin/cache.");
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- endpoints

    private void stats(Request request, Response response, Callback callback, String remote) {
        List<String> tiers = new ArrayList<>();
        for (CacheStore tier : cache.tiers()) {
            TierCounters counters = tier.counters();
            tiers.add("{\"tier\":\"" + jsonString(tier.name()) + "\""
                    + ",\"entries\":" + tier.entryCount()
                    + ",\"bytes\":" + tier.sizeBytes()
                    + ",\"hits\":" + counters.hits.sum()
                    + ",\"misses\":" + counters.misses.sum()
                    + ",\"writes\":" + counters.writes.sum()
                    + ",\"evictions\":" + counters.evictions.sum()
                    + ",\"errors\":" + counters.errors.sum()
                    + ",\"corrupt\":" + counters.corrupt.sum() + "}");
        }
        log.info("Admin stats read by {}", remote);
        metrics.countAdminAction("stats", "ok");
        byte[] body = ("{\"tiers\":[" + String.join(",", tiers) + "]}\n").getBytes(StandardCharsets.UTF_8);
        send(response, callback, 200, body, request.getMethod().equals("HEAD"));
    }

    private void purge(Request request, Response response, Callback callback, String remote) {
        Fields parameters;
        try {
            parameters = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            badRequest(response, callback, "purge", remote, "The query string is not valid: " + e.getMessage() + ". "
                    + USAGE);
            return;
        }
        String url = single(parameters, "url");
        String prefix = single(parameters, "prefix");
        String all = single(parameters, "all");
        int selectors = (url == null ? 0 : 1) + (prefix == null ? 0 : 1) + (all == null ? 0 : 1);
        if (selectors != 1 || parameters.getSize() != 1) {
            badRequest(response, callback, "purge", remote, USAGE);
            return;
        }

        String action;
        String subject;
        if (all != null) {
            if (!all.equals("true")) {
                badRequest(response, callback, "purge_all", remote, "all must be 'true', got '" + all + "'. " + USAGE);
                return;
            }
            action = "purge_all";
            subject = "";
        } else {
            action = url != null ? "purge_url" : "purge_prefix";
            String value = url != null ? url : prefix;
            try {
                subject = targetOf(value);
            } catch (IllegalArgumentException e) {
                badRequest(response, callback, action, remote, e.getMessage() + " " + USAGE);
                return;
            }
        }

        long removed;
        try {
            removed = url != null ? cache.removeTarget(subject) : cache.removeTargetPrefix(subject);
        } catch (CacheStoreException e) {
            log.warn("Admin {} of '{}' by {} failed in the persistent tier: {}", action, redact(subject), remote,
                    e.getMessage());
            metrics.countAdminAction(action, "error");
            sendError(response, callback, 503, "The memory tier was purged but the persistent tier failed: "
                    + e.getMessage() + ". Retry the request.");
            return;
        }
        log.info("Admin {} of '{}' by {}: {} entries removed", action, redact(subject), remote, removed);
        metrics.countAdminAction(action, "ok");
        String json = "{\"action\":\"" + action + "\""
                + (all != null ? "" : ",\"" + (url != null ? "target" : "prefix") + "\":\""
                        + jsonString(subject) + "\"")
                + ",\"count\":" + removed + "}\n";
        send(response, callback, 200, json.getBytes(StandardCharsets.UTF_8), false);
    }

    /**
     * Translates a {@code url=} or {@code prefix=} value into a stored target: the raw path and
     * query as the mirror received it, which is the upstream path without the upstream's base path.
     *
     * @throws IllegalArgumentException naming the value when it is neither a path nor an http(s) URL
     */
    String targetOf(String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("The value is empty.");
        }
        if (value.startsWith("/") && !value.startsWith("//")) {
            int fragment = value.indexOf('#');
            return fragment < 0 ? value : value.substring(0, fragment);
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + value + "' is not a valid URL: " + e.getReason() + ".");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getRawAuthority() == null) {
            throw new IllegalArgumentException("'" + value + "' is neither a path starting with '/' nor an http(s) "
                    + "URL.");
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        for (URI base : new URI[] {upstream, publicUrl}) {
            String stripped = stripBase(uri, target, base);
            if (stripped != null) {
                return stripped;
            }
        }
        // A mirror URL whose host the mirror does not know, because the public URL comes from each request's Host.
        return target;
    }

    /** Returns the target below the base URL, or {@code null} when the URL is not under it. */
    private static String stripBase(URI uri, String target, URI base) {
        if (base == null || base.getRawAuthority() == null
                || !base.getScheme().equalsIgnoreCase(uri.getScheme())
                || !base.getRawAuthority().equalsIgnoreCase(uri.getRawAuthority())) {
            return null;
        }
        String basePath = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
        if (basePath.isEmpty()) {
            return target;
        }
        if (target.equals(basePath)) {
            return "/";
        }
        if (target.startsWith(basePath + "/") || target.startsWith(basePath + "?")) {
            String rest = target.substring(basePath.length());
            return rest.startsWith("?") ? "/" + rest : rest;
        }
        return null;
    }

    // ---------------------------------------------------------------- authentication

    /** Compares SHA-256 digests with {@link MessageDigest#isEqual}, so timing reveals nothing about the token. */
    private boolean authorized(List<String> authorizations) {
        if (authorizations.size() != 1) {
            return false;
        }
        String value = authorizations.get(0).trim();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Bearer")) {
            return false;
        }
        return MessageDigest.isEqual(expectedDigest, sha256(value.substring(space + 1).trim()));
    }

    private void logRejection(String method, String path, String remote) {
        long suppressed;
        synchronized (rejectionLogLock) {
            long now = System.nanoTime();
            if (rejectionLogged && now - lastRejectionLogNanos < REJECTION_LOG_INTERVAL_NANOS) {
                suppressedRejections++;
                return;
            }
            rejectionLogged = true;
            lastRejectionLogNanos = now;
            suppressed = suppressedRejections;
            suppressedRejections = 0;
        }
        log.warn("Rejected admin request {} {} from {}: missing or wrong bearer token ({} more rejections not logged "
                + "since the previous line)", method, path, remote, suppressed);
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    // ---------------------------------------------------------------- responses

    private void methodNotAllowed(Response response, Callback callback, String action, String method, String allow,
            String remote) {
        log.info("Admin request from {}: method {} is not allowed for {}", remote, method, action);
        metrics.countAdminAction(action, "method_not_allowed");
        response.getHeaders().put(HttpHeader.ALLOW, allow);
        sendError(response, callback, 405, "Method " + method + " is not allowed here. Allowed: " + allow + ".");
    }

    private void badRequest(Response response, Callback callback, String action, String remote, String message) {
        log.info("Admin {} from {} rejected: {}", action, remote, redact(message));
        metrics.countAdminAction(action, "bad_request");
        sendError(response, callback, 400, message);
    }

    private static void sendError(Response response, Callback callback, int status, String message) {
        send(response, callback, status, ErrorBodies.json(message), false);
    }

    private static void send(Response response, Callback callback, int status, byte[] body, boolean head) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, head ? null : ByteBuffer.wrap(body), callback);
    }

    private static String single(Fields parameters, String name) {
        Fields.Field field = parameters.get(name);
        if (field == null) {
            return null;
        }
        List<String> values = field.getValues();
        return values.size() == 1 ? values.get(0) : null;
    }

    private static String actionOf(String path) {
        return switch (path == null ? "" : path) {
            case "/admin/stats" -> "stats";
            case "/admin/cache" -> "purge";
            default -> "unknown";
        };
    }

    private static String redact(String text) {
        return SECRET_QUERY.matcher(text).replaceAll("$1=REDACTED");
    }

    private static String remoteAddress(Request request) {
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        return remote instanceof InetSocketAddress inet
                ? inet.getHostString() + ":" + inet.getPort()
                : String.valueOf(remote);
    }

    /** Escapes a value for a JSON string. */
    private static String jsonString(String text) {
        StringBuilder escaped = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                escaped.append('\\').append(c);
            } else if (c < 0x20) {
                escaped.append(String.format("\\u%04x", (int) c));
            } else {
                escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
