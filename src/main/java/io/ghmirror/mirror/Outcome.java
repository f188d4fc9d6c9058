package io.ghmirror.mirror;

/**
 * The way a request was served. The same names appear in the {@code X-Cache} response header, the
 * {@code cache} metric label and, prefixed with {@code CACHE_}, in the request log line.
 */
public enum Outcome {
    /** Fetched from upstream: nothing was stored, or the stored entry had changed. */
    MISS,
    /** Served from the cache after upstream confirmed it with a 304, which costs no rate limit. */
    HIT,
    /** Shared the result of an identical request already in flight; no upstream call of its own. */
    COALESCED,
    /** Served from the cache because the revalidation failed with a 5xx or a broken connection. */
    STALE_ERROR,
    /** Served from the cache because the revalidation timed out. */
    STALE_TIMEOUT,
    /** Served from the cache because the credential is rate limited. */
    STALE_RATE_LIMITED,
    /** Served from the cache without contacting upstream, because GitHub is known to be down. */
    OFFLINE_HIT,
    /** Rejected with 503 without contacting upstream, because GitHub is known to be down and nothing is stored. */
    OFFLINE_MISS,
    /** Passed through without cache lookup: the request carries Cookie or X-GitHub-OTP. */
    BYPASS;

    /** Returns the name used in log lines, such as {@code CACHE_HIT}. */
    public String logName() {
        return "CACHE_" + name();
    }

    /** Returns whether the response body came from the cache. */
    public boolean fromCache() {
        return this == HIT || this == STALE_ERROR || this == STALE_TIMEOUT || this == STALE_RATE_LIMITED
                || this == OFFLINE_HIT;
    }
}
