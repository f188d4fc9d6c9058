package io.ghmirror.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.http.HeaderFields;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RateLimitSignalsPolicyTest {

    private static final String PRIMARY_MESSAGE = "{\"message\":\"API rate limit exceeded for user ID 1.\"}";
    private static final String SECONDARY_MESSAGE =
            "{\"message\":\"You have exceeded a secondary rate limit. Please wait a few minutes.\"}";

    @Test
    void primaryMessageIsPrimary() {
        assertThat(classify(403, new HeaderFields(), PRIMARY_MESSAGE)).isEqualTo(RateLimitSignals.Kind.PRIMARY);
    }

    @Test
    void remainingZeroIsPrimary() {
        HeaderFields headers = new HeaderFields().add("X-RateLimit-Remaining", " 0 ");

        assertThat(classify(403, headers, "{\"message\":\"Forbidden\"}")).isEqualTo(RateLimitSignals.Kind.PRIMARY);
    }

    @Test
    void primaryOn429IsPrimary() {
        assertThat(classify(429, new HeaderFields(), PRIMARY_MESSAGE)).isEqualTo(RateLimitSignals.Kind.PRIMARY);
    }

    @Test
    void secondaryMessageIsSecondary() {
        HeaderFields headers = new HeaderFields().add("X-RateLimit-Remaining", "0").add("Retry-After", "60");

        assertThat(classify(403, headers, SECONDARY_MESSAGE)).isEqualTo(RateLimitSignals.Kind.SECONDARY);
    }

    @Test
    void abuseDetectionIsSecondary() {
        String body = "{\"message\":\"You have triggered an abuse detection mechanism.\"}";

        assertThat(classify(403, new HeaderFields(), body)).isEqualTo(RateLimitSignals.Kind.SECONDARY);
    }

    @Test
    void retryAfterAloneIsSecondary() {
        HeaderFields headers = new HeaderFields().add("Retry-After", "30");

        assertThat(classify(403, headers, "{}")).isEqualTo(RateLimitSignals.Kind.SECONDARY);
    }

    @Test
    void bare429IsSecondary() {
        assertThat(classify(429, new HeaderFields(), null)).isEqualTo(RateLimitSignals.Kind.SECONDARY);
    }

    @Test
    void messageMatchIgnoresCase() {
        String body = "{\"message\":\"api RATE LIMIT exceeded\"}";

        assertThat(classify(403, new HeaderFields(), body)).isEqualTo(RateLimitSignals.Kind.PRIMARY);
    }

    @Test
    void permissionDeniedIsNone() {
        HeaderFields headers = new HeaderFields().add("X-RateLimit-Remaining", "4999");
        String body = "{\"message\":\"Resource not accessible by integration\"}";

        assertThat(classify(403, headers, body)).isEqualTo(RateLimitSignals.Kind.NONE);
    }

    @Test
    void otherStatusesAreNone() {
        HeaderFields headers = new HeaderFields().add("X-RateLimit-Remaining", "0").add("Retry-After", "60");

        assertThat(classify(200, headers, PRIMARY_MESSAGE)).isEqualTo(RateLimitSignals.Kind.NONE);
        assertThat(classify(404, headers, PRIMARY_MESSAGE)).isEqualTo(RateLimitSignals.Kind.NONE);
        assertThat(classify(503, headers, SECONDARY_MESSAGE)).isEqualTo(RateLimitSignals.Kind.NONE);
    }

    private static RateLimitSignals.Kind classify(int status, HeaderFields headers, String body) {
        return RateLimitSignals.classify(status, headers, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }
}
