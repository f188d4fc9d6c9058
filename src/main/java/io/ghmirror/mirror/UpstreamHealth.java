package io.ghmirror.mirror;

import io.ghmirror.metrics.MirrorMetrics;
import io.ghmirror.upstream.UpstreamException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether GitHub is usable right now. Two independent signals mark it offline: the GitHub status
 * API reporting a major outage of "API Requests", and the circuit breaker after consecutive
 * connection failures or timeouts (for networks that cannot reach the status page).
 */
public final class UpstreamHealth {

    private static final Logger log = LoggerFactory.getLogger(UpstreamHealth.class);

    private final CircuitBreaker circuit;
    private final MirrorMetrics metrics;
    private final Clock clock;
    private final Duration statusInterval;
    private final AtomicBoolean statusOutage = new AtomicBoolean();

    public UpstreamHealth(int failureThreshold, Duration openDuration, Duration statusInterval, MirrorMetrics metrics,
            Clock clock) {
        this.circuit = new CircuitBreaker(failureThreshold, openDuration, clock);
        this.metrics = metrics;
        this.clock = clock;
        this.statusInterval = statusInterval;
        metrics.offline("status_page", false);
        metrics.offline("circuit_breaker", false);
    }

    /** Returns whether requests should be served from the cache without contacting GitHub. */
    public boolean isOffline() {
        if (statusOutage.get()) {
            return true;
        }
        CircuitBreaker.State state = circuit.state();
        if (state == CircuitBreaker.State.CLOSED) {
            return false;
        }
        // While open, a request arriving after the back-off becomes the probe and goes upstream;
        // while the probe is in flight (half open), the others are still served from the cache.
        return !(state == CircuitBreaker.State.OPEN && !clock.instant().isBefore(circuit.retryAt()));
    }

    /** Returns whether a request may be sent upstream now; false while the circuit is open. */
    boolean allowRequest() {
        return circuit.allowRequest();
    }

    /** Records that the upstream responded, whatever the status. */
    void recordAnswer() {
        if (circuit.recordSuccess()) {
            log.info("Upstream responded again: the circuit breaker is closed and the mirror is online");
            metrics.offline("circuit_breaker", false);
        }
    }

    /** Records a connection failure or timeout. */
    void recordFailure(UpstreamException e) {
        boolean probing = circuit.state() == CircuitBreaker.State.HALF_OPEN;
        if (circuit.recordFailure()) {
            log.warn("Upstream unreachable ({}): the circuit breaker is open; serving from the cache until {}",
                    e.getMessage(), circuit.retryAt());
            metrics.offline("circuit_breaker", true);
        } else if (probing && circuit.state() == CircuitBreaker.State.OPEN) {
            log.warn("Probe request to the upstream failed ({}); staying offline until {}", e.getMessage(),
                    circuit.retryAt());
        } else {
            circuit.releaseProbe();
        }
    }

    /** Sets the outage flag from the GitHub status API. */
    public void statusPageOutage(boolean outage) {
        if (statusOutage.compareAndSet(!outage, outage)) {
            if (outage) {
                log.warn("GitHub status reports a major outage of API Requests: the mirror is offline, serving from the cache");
            } else {
                log.info("GitHub status reports API Requests operational again: the mirror is online");
            }
            metrics.offline("status_page", outage);
        }
    }

    /** Returns why the mirror is offline, for error messages and {@code /readyz}. */
    public String offlineReason() {
        if (statusOutage.get()) {
            return "the GitHub status page reports a major outage of API Requests";
        }
        if (circuit.state() != CircuitBreaker.State.CLOSED) {
            return "the last upstream requests failed to connect or timed out";
        }
        return "online";
    }

    /** Returns the seconds until the mirror tries GitHub again, for {@code Retry-After}. */
    long retryAfterSeconds() {
        if (statusOutage.get()) {
            return statusInterval.toSeconds();
        }
        Instant retryAt = circuit.retryAt();
        return Math.max(1, Duration.between(clock.instant(), retryAt).toSeconds());
    }

    /** Returns the circuit state name, for {@code /readyz}. */
    public String circuitState() {
        return circuit.state().name().toLowerCase(java.util.Locale.ROOT);
    }
}
