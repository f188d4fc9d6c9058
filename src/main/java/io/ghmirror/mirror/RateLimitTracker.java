package io.ghmirror.mirror;

import io.ghmirror.http.HeaderFields;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest GitHub rate-limit state of each credential, keyed by the credential's keyed hash,
 * never by the token. A credential known to be out of quota until its reset time is served from
 * the cache without an upstream call, because the call would only return another 403.
 */
final class RateLimitTracker {

    /** The quota state of one credential for one resource, as the last response reported it. */
    record Quota(long limit, long remaining, Instant reset) {}

    private final Clock clock;
    private final Map<String, Quota> quotas = new ConcurrentHashMap<>();
    private final Map<String, Instant> blockedUntil = new ConcurrentHashMap<>();

    RateLimitTracker(Clock clock) {
        this.clock = clock;
    }

    /**
     * Records the rate-limit headers of a response.
     *
     * @return the quota read from the headers, or {@code null} when the response had none
     */
    Quota observe(String credential, HeaderFields headers, RateLimitSignals.Kind kind) {
        Quota quota = null;
        try {
            var limit = headers.first("X-RateLimit-Limit");
            var remaining = headers.first("X-RateLimit-Remaining");
            var reset = headers.first("X-RateLimit-Reset");
            if (limit.isPresent() && remaining.isPresent() && reset.isPresent()) {
                quota = new Quota(Long.parseLong(limit.get().trim()), Long.parseLong(remaining.get().trim()),
                        Instant.ofEpochSecond(Long.parseLong(reset.get().trim())));
                String resource = headers.first("X-RateLimit-Resource").orElse("core").trim();
                quotas.put(credential + " " + resource, quota);
            }
        } catch (NumberFormatException e) {
            quota = null; // malformed headers carry no reliable quota
        }
        if (kind == RateLimitSignals.Kind.SECONDARY) {
            Instant until = clock.instant().plusSeconds(retryAfterSeconds(headers));
            blockedUntil.merge(credential, until, (a, b) -> a.isAfter(b) ? a : b);
        }
        return quota;
    }

    /** Returns whether the credential is known to be refused for this request target until a later time. */
    boolean exhausted(String credential, String rawPath) {
        Instant now = clock.instant();
        Instant blocked = blockedUntil.get(credential);
        if (blocked != null) {
            if (now.isBefore(blocked)) {
                return true;
            }
            blockedUntil.remove(credential, blocked);
        }
        Quota quota = quotas.get(credential + " " + resourceOf(rawPath));
        return quota != null && quota.remaining() <= 0 && now.isBefore(quota.reset());
    }

    /**
     * Returns the last rate-limit headers seen for the credential and the resource of the path, so
     * a response from the cache reports the quota GitHub last reported, not the stored one.
     */
    HeaderFields quotaHeaders(String credential, String rawPath) {
        HeaderFields headers = new HeaderFields();
        String resource = resourceOf(rawPath);
        Quota quota = quotas.get(credential + " " + resource);
        if (quota != null) {
            headers.add("X-RateLimit-Limit", Long.toString(quota.limit()))
                    .add("X-RateLimit-Remaining", Long.toString(quota.remaining()))
                    .add("X-RateLimit-Reset", Long.toString(quota.reset().getEpochSecond()))
                    .add("X-RateLimit-Resource", resource);
        }
        Instant blocked = blockedUntil.get(credential);
        if (blocked != null && clock.instant().isBefore(blocked)) {
            headers.add("Retry-After", Long.toString(Math.max(1, blocked.getEpochSecond() - clock.instant().getEpochSecond())));
        }
        return headers;
    }

    /** Returns the GitHub rate-limit resource a path counts against. */
    static String resourceOf(String rawPath) {
        if (rawPath.startsWith("/search/code")) {
            return "code_search";
        }
        if (rawPath.startsWith("/search/")) {
            return "search";
        }
        if (rawPath.equals("/graphql")) {
            return "graphql";
        }
        return "core";
    }

    /** GitHub documents a wait of at least a minute after a secondary limit when it sends no Retry-After. */
    private static long retryAfterSeconds(HeaderFields headers) {
        try {
            return Math.max(1, Long.parseLong(headers.first("Retry-After").orElse("60").trim()));
        } catch (NumberFormatException e) {
            return 60;
        }
    }
}
