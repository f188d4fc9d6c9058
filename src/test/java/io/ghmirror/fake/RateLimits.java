package io.ghmirror.fake;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Primary rate-limit buckets of the {@code core} resource, one per exact {@code Authorization} value.
 *
 * <p>Anonymous callers share the bucket stored under the null key. A bucket's window starts at its first use and
 * lasts one hour, like GitHub's. When the reset time has passed, the next use starts a new window.
 */
final class RateLimits {

    static final int TOKEN_LIMIT = 5000;
    static final int ANONYMOUS_LIMIT = 60;
    private static final Duration WINDOW = Duration.ofHours(1);

    /** State of one bucket as sent in the {@code X-RateLimit-*} headers. */
    record Snapshot(int limit, int remaining, int used, long resetEpochSecond) {
    }

    private static final class Bucket {
        int limit;
        int used;
        long resetEpochSecond;
        int spentTotal;

        Bucket(int limit, long resetEpochSecond) {
            this.limit = limit;
            this.resetEpochSecond = resetEpochSecond;
        }
    }

    private final Map<String, Bucket> buckets = new HashMap<>();
    private int spentTotal;

    /** Spends one unit and returns true, or returns false without spending when the bucket is exhausted. */
    synchronized boolean tryAcquire(String authorization) {
        Bucket bucket = bucket(authorization);
        if (bucket.used >= bucket.limit) {
            return false;
        }
        bucket.used++;
        bucket.spentTotal++;
        spentTotal++;
        return true;
    }

    /** Gives back a unit taken by {@link #tryAcquire}, for responses that turned out to be 304. */
    synchronized void refund(String authorization) {
        Bucket bucket = bucket(authorization);
        bucket.used = Math.max(0, bucket.used - 1);
        bucket.spentTotal--;
        spentTotal--;
    }

    synchronized Snapshot snapshot(String authorization) {
        Bucket bucket = bucket(authorization);
        int remaining = Math.max(0, bucket.limit - bucket.used);
        return new Snapshot(bucket.limit, remaining, bucket.used, bucket.resetEpochSecond);
    }

    synchronized void setLimit(String authorization, int limit) {
        requireNonNegative(limit, "limit");
        bucket(authorization).limit = limit;
    }

    /** Sets the remaining units, raising the limit when {@code remaining} exceeds it. */
    synchronized void setRemaining(String authorization, int remaining) {
        requireNonNegative(remaining, "remaining");
        Bucket bucket = bucket(authorization);
        bucket.limit = Math.max(bucket.limit, remaining);
        bucket.used = bucket.limit - remaining;
    }

    synchronized void setReset(String authorization, Instant reset) {
        bucket(authorization).resetEpochSecond = reset.getEpochSecond();
    }

    /** Returns the units this credential spent since the fake started, across window resets. */
    synchronized int unitsSpent(String authorization) {
        Bucket bucket = buckets.get(authorization);
        return bucket == null ? 0 : bucket.spentTotal;
    }

    synchronized int totalUnitsSpent() {
        return spentTotal;
    }

    private Bucket bucket(String authorization) {
        long now = Instant.now().getEpochSecond();
        Bucket bucket = buckets.computeIfAbsent(authorization,
                key -> new Bucket(key == null ? ANONYMOUS_LIMIT : TOKEN_LIMIT, now + WINDOW.toSeconds()));
        if (now >= bucket.resetEpochSecond) {
            bucket.used = 0;
            bucket.resetEpochSecond = now + WINDOW.toSeconds();
        }
        return bucket;
    }

    private static void requireNonNegative(int value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }
}
