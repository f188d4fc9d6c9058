package io.ghmirror.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class CircuitBreakerPolicyTest {

    private static final Duration BACKOFF = Duration.ofSeconds(10);

    private final SettableClock clock = new SettableClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final CircuitBreaker breaker = new CircuitBreaker(3, BACKOFF, clock);

    @Test
    void failuresBelowThresholdKeepClosed() {
        assertThat(breaker.recordFailure()).isFalse();
        assertThat(breaker.recordFailure()).isFalse();

        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.allowRequest()).isTrue();
    }

    @Test
    void thresholdFailureOpens() {
        breaker.recordFailure();
        breaker.recordFailure();

        assertThat(breaker.recordFailure()).isTrue();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.retryAt()).isEqualTo(clock.instant().plus(BACKOFF));
    }

    @Test
    void successResetsFailureCount() {
        breaker.recordFailure();
        breaker.recordFailure();
        breaker.recordSuccess();
        breaker.recordFailure();
        breaker.recordFailure();

        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void openRejectsDuringBackoff() {
        open();
        clock.advance(BACKOFF.minusMillis(1));

        assertThat(breaker.allowRequest()).isFalse();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    @Test
    void backoffAllowsOneProbe() {
        open();
        clock.advance(BACKOFF);

        assertThat(breaker.allowRequest()).isTrue();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(breaker.allowRequest()).isFalse();
    }

    @Test
    void successfulProbeCloses() {
        open();
        clock.advance(BACKOFF);
        breaker.allowRequest();

        assertThat(breaker.recordSuccess()).isTrue();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.allowRequest()).isTrue();
    }

    @Test
    void failedProbeDoublesBackoff() {
        open();
        clock.advance(BACKOFF);
        breaker.allowRequest();

        assertThat(breaker.recordFailure()).isFalse();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.retryAt()).isEqualTo(clock.instant().plus(BACKOFF.multipliedBy(2)));
    }

    @Test
    void backoffStopsDoublingAfterTenTimes() {
        open();
        for (int probe = 0; probe < 15; probe++) {
            clock.advance(Duration.between(clock.instant(), breaker.retryAt()));
            assertThat(breaker.allowRequest()).as("probe %d", probe).isTrue();
            breaker.recordFailure();
        }

        assertThat(Duration.between(clock.instant(), breaker.retryAt())).isEqualTo(BACKOFF.multipliedBy(1024));
    }

    @Test
    void successAfterFailedProbesRestartsBackoff() {
        open();
        clock.advance(BACKOFF);
        breaker.allowRequest();
        breaker.recordFailure();
        clock.advance(BACKOFF.multipliedBy(2));
        breaker.allowRequest();
        breaker.recordSuccess();

        open();

        assertThat(breaker.retryAt()).isEqualTo(clock.instant().plus(BACKOFF));
    }

    @Test
    void releasedProbeAllowsAnother() {
        open();
        clock.advance(BACKOFF);
        breaker.allowRequest();

        breaker.releaseProbe();

        assertThat(breaker.allowRequest()).isTrue();
    }

    @Test
    void zeroThresholdNeverOpens() {
        CircuitBreaker disabled = new CircuitBreaker(0, BACKOFF, clock);
        for (int i = 0; i < 100; i++) {
            assertThat(disabled.recordFailure()).isFalse();
        }

        assertThat(disabled.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(disabled.allowRequest()).isTrue();
    }

    private void open() {
        for (int i = 0; i < 3; i++) {
            breaker.recordFailure();
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
    }

    /** A clock that does not advance until a test moves it. */
    private static final class SettableClock extends Clock {
        private Instant now;

        SettableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
