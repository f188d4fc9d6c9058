package io.ghmirror.mirror;

import io.ghmirror.http.HeaderFields;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Tells a rate-limit refusal from other errors, by GitHub's documented status, headers and messages. */
final class RateLimitSignals {

    /** The kind of rate limit an upstream response reports. */
    enum Kind {
        NONE,
        /** The hourly quota is used up: "API rate limit exceeded" or {@code X-RateLimit-Remaining: 0}. */
        PRIMARY,
        /** GitHub's abuse protection: "secondary rate limit", or a {@code Retry-After}. */
        SECONDARY
    }

    private RateLimitSignals() {}

    /** Classifies a response; only 403 and 429 can be rate limits. */
    static Kind classify(int status, HeaderFields headers, byte[] body) {
        if (status != 403 && status != 429) {
            return Kind.NONE;
        }
        String text = body == null ? "" : new String(body, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        if (text.contains("secondary rate limit") || text.contains("abuse detection")) {
            return Kind.SECONDARY;
        }
        if (text.contains("api rate limit exceeded")
                || headers.first("X-RateLimit-Remaining").map(value -> value.trim().equals("0")).orElse(false)) {
            return Kind.PRIMARY;
        }
        if (headers.contains("Retry-After") || status == 429) {
            return Kind.SECONDARY;
        }
        return Kind.NONE;
    }
}
