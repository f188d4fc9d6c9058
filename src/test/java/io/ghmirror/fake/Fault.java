package io.ghmirror.fake;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable description of a fault for {@link FakeGitHub#inject(Fault)}: which requests it hits and what the fake
 * does to them.
 *
 * <p>A fault hits the next request by default. {@link #times(int)} and {@link #untilCleared()} widen that, and
 * {@link #onPath(String)} or {@link #onPathPrefix(String)} restrict it to paths relative to the API root (without
 * the API prefix and the query). Injected faults skip rate limiting: they spend no unit.
 */
public final class Fault {

    /** What the fake does to a request that the fault hits. */
    enum Action {
        /** Serve the normal response, after the delay. */
        RESPOND,
        /** Send the fault's status, body and headers. */
        STATUS,
        /** Close the connection without a response. */
        DROP
    }

    static final int UNLIMITED = -1;

    private final Action action;
    private final int status;
    private final String body;
    private final Map<String, String> headers;
    private final Duration delay;
    private final int times;
    private final String path;
    private final boolean pathIsPrefix;

    private Fault(Action action, int status, String body, Map<String, String> headers, Duration delay, int times,
            String path, boolean pathIsPrefix) {
        this.action = action;
        this.status = status;
        this.body = body;
        this.headers = headers;
        this.delay = delay;
        this.times = times;
        this.path = path;
        this.pathIsPrefix = pathIsPrefix;
    }

    /** Creates a fault that sends {@code status} with {@code body} as JSON and the extra headers, which may be null. */
    public static Fault status(int status, String body, Map<String, String> headers) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("HTTP status must be in 100..599, got " + status);
        }
        return new Fault(Action.STATUS, status, Objects.requireNonNull(body, "body"),
                headers == null ? Map.of() : Map.copyOf(headers), Duration.ZERO, 1, null, false);
    }

    /** Creates a fault that sends a server error such as 500, 502 or 503 with a GitHub-style JSON message. */
    public static Fault serverError(int status) {
        String message = switch (status) {
            case 503 -> "Service Unavailable";
            case 504 -> "We couldn't respond to your request in time. Sorry about that.";
            default -> "Server Error";
        };
        return status(status, Documents.error(message, Documents.REST_DOCS, status), Map.of());
    }

    /** Creates a fault that sends GitHub's primary rate-limit 403 with {@code X-RateLimit-Remaining: 0}. */
    public static Fault primaryRateLimit() {
        return status(403, Documents.error("API rate limit exceeded for user ID 1.", Documents.RATE_LIMIT_DOCS, 403),
                Map.of("X-RateLimit-Remaining", "0"));
    }

    /** Creates a fault that sends GitHub's secondary rate-limit 403 with {@code Retry-After: 60}. */
    public static Fault secondaryRateLimit() {
        String message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
        return status(403, Documents.error(message, Documents.SECONDARY_RATE_LIMIT_DOCS, 403),
                Map.of("Retry-After", "60"));
    }

    /** Creates a fault that serves the normal response after {@code delay}. */
    public static Fault delay(Duration delay) {
        return new Fault(Action.RESPOND, 0, null, Map.of(), requireNonNegative(delay), 1, null, false);
    }

    /** Creates a fault that closes the connection without sending a response. */
    public static Fault drop() {
        return new Fault(Action.DROP, 0, null, Map.of(), Duration.ZERO, 1, null, false);
    }

    /** Returns a copy that hits the next {@code count} matching requests. */
    public Fault times(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, got " + count);
        }
        return new Fault(action, status, body, headers, delay, count, path, pathIsPrefix);
    }

    /** Returns a copy that hits every matching request until it is cancelled or the faults are cleared. */
    public Fault untilCleared() {
        return new Fault(action, status, body, headers, delay, UNLIMITED, path, pathIsPrefix);
    }

    /** Returns a copy that hits only requests for exactly this path, such as {@code /repos/o/r}. */
    public Fault onPath(String exactPath) {
        return new Fault(action, status, body, headers, delay, times, requirePath(exactPath), false);
    }

    /** Returns a copy that hits only requests whose path starts with {@code prefix}. */
    public Fault onPathPrefix(String prefix) {
        return new Fault(action, status, body, headers, delay, times, requirePath(prefix), true);
    }

    /** Returns a copy that waits {@code wait} before it acts, so a slow error or a slow drop can be simulated. */
    public Fault delayedBy(Duration wait) {
        return new Fault(action, status, body, headers, requireNonNegative(wait), times, path, pathIsPrefix);
    }

    boolean matches(String apiPath) {
        if (path == null) {
            return true;
        }
        return pathIsPrefix ? apiPath.startsWith(path) : apiPath.equals(path);
    }

    Action action() {
        return action;
    }

    int statusCode() {
        return status;
    }

    String body() {
        return body;
    }

    Map<String, String> headers() {
        return headers;
    }

    Duration delayBefore() {
        return delay;
    }

    int times() {
        return times;
    }

    @Override
    public String toString() {
        String target = path == null ? "any path" : (pathIsPrefix ? "paths under " : "path ") + path;
        String count = times == UNLIMITED ? "until cleared" : times + " time(s)";
        String kind = action == Action.STATUS ? "status " + status : action.name().toLowerCase();
        return "Fault[" + kind + ", delay " + delay + ", " + count + ", " + target + "]";
    }

    private static Duration requireNonNegative(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        return delay;
    }

    private static String requirePath(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/', got " + path);
        }
        return path;
    }
}
