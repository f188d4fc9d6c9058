package io.ghmirror.mirror;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Opens after a run of consecutive upstream connection failures or timeouts, so the mirror stops
 * waiting on a GitHub it cannot reach and serves from its cache instead. After a back-off it lets
 * one probe request through; a failed probe doubles the back-off, up to 2^10 times the base.
 */
final class CircuitBreaker {

    /** The states of the breaker. */
    enum State { CLOSED, OPEN, HALF_OPEN }

    private static final int MAX_DOUBLINGS = 10;

    private final int threshold;
    private final Duration baseBackoff;
    private final Clock clock;

    private State state = State.CLOSED;
    private int consecutiveFailures;
    private int doublings;
    private Instant retryAt = Instant.MIN;
    private boolean probeInFlight;

    /** @param threshold consecutive failures that open the circuit; 0 disables the breaker */
    CircuitBreaker(int threshold, Duration baseBackoff, Clock clock) {
        this.threshold = threshold;
        this.baseBackoff = baseBackoff;
        this.clock = clock;
    }

    /**
     * Returns whether a request may go upstream now. While open, returns true exactly once after the
     * back-off, for the probe request, whose result must be reported.
     */
    synchronized boolean allowRequest() {
        if (state == State.CLOSED) {
            return true;
        }
        if (state == State.OPEN && !clock.instant().isBefore(retryAt)) {
            state = State.HALF_OPEN;
        }
        if (state == State.HALF_OPEN && !probeInFlight) {
            probeInFlight = true;
            return true;
        }
        return false;
    }

    /** Records an upstream response, whatever its status; returns true when this closed an open circuit. */
    synchronized boolean recordSuccess() {
        consecutiveFailures = 0;
        probeInFlight = false;
        if (state != State.CLOSED) {
            state = State.CLOSED;
            doublings = 0;
            return true;
        }
        return false;
    }

    /** Records a connection failure or timeout; returns true when this opened the circuit. */
    synchronized boolean recordFailure() {
        if (threshold <= 0) {
            return false;
        }
        consecutiveFailures++;
        if (state == State.HALF_OPEN) {
            probeInFlight = false;
            doublings = Math.min(MAX_DOUBLINGS, doublings + 1);
            state = State.OPEN;
            retryAt = clock.instant().plus(baseBackoff.multipliedBy(1L << doublings));
            return false;
        }
        if (state == State.CLOSED && consecutiveFailures >= threshold) {
            state = State.OPEN;
            retryAt = clock.instant().plus(baseBackoff);
            return true;
        }
        return false;
    }

    /** Releases a probe slot taken by {@link #allowRequest()} when the probe ended without an upstream result. */
    synchronized void releaseProbe() {
        probeInFlight = false;
    }

    synchronized State state() {
        return state;
    }

    /** Returns when the next probe is allowed, while open. */
    synchronized Instant retryAt() {
        return retryAt;
    }
}
