package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.Conditions;
import io.ghmirror.support.MirrorHarness;
import io.ghmirror.support.MirrorState;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Once a response reports {@code X-RateLimit-Remaining: 0} with a future reset, cached GETs for
 * that credential are served from the cache without an upstream call, until the reset.
 */
class ResilienceRateLimitTest {

    private static final String EXHAUSTED = "token ratelimit-exhausted";
    private static final String OTHER = "token ratelimit-other";
    private static final String CACHED = "/repos/octo/hello";

    private FakeGitHub github;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        github.addRepository("octo/hello");
        github.addRepository("octo/spender");
        github.addRepository("octo/uncached");
        mirror = MirrorHarness.start(github.baseUrl());
        mirror.get(CACHED, "Authorization", EXHAUSTED);
        mirror.get(CACHED, "Authorization", OTHER);
    }

    @AfterEach
    void stop() {
        mirror.close();
        github.close();
    }

    @Test
    void exhaustedCredentialServesCachedWithoutUpstream() throws Exception {
        spendLastUnit(Instant.now().plus(Duration.ofHours(1)));
        int requestsBefore = github.requestCount();

        HttpResponse<byte[]> response = mirror.get(CACHED, "Authorization", EXHAUSTED);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Cache")).hasValue("STALE_RATE_LIMITED");
        assertThat(response.headers().firstValue("Age")).isPresent();
        assertThat(github.requestCount()).isEqualTo(requestsBefore);
    }

    @Test
    void exhaustedAnswerReportsCurrentQuota() throws Exception {
        Instant reset = Instant.now().plus(Duration.ofHours(1));
        spendLastUnit(reset);

        HttpResponse<byte[]> response = mirror.get(CACHED, "Authorization", EXHAUSTED);

        assertThat(response.headers().firstValue("X-Cache")).hasValue("STALE_RATE_LIMITED");
        assertThat(response.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
        assertThat(response.headers().firstValue("X-RateLimit-Reset")).hasValue(Long.toString(reset.getEpochSecond()));
    }

    @Test
    void exhaustedCredentialUncachedGetGoesUpstream() throws Exception {
        spendLastUnit(Instant.now().plus(Duration.ofHours(1)));
        int requestsBefore = github.requestCount();

        HttpResponse<byte[]> response = mirror.get("/repos/octo/uncached", "Authorization", EXHAUSTED);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(new String(response.body())).contains("API rate limit exceeded");
        assertThat(github.requestCount()).isEqualTo(requestsBefore + 1);
    }

    @Test
    void exhaustedCredentialPostGoesUpstream() throws Exception {
        spendLastUnit(Instant.now().plus(Duration.ofHours(1)));
        int requestsBefore = github.requestCount();

        HttpResponse<byte[]> response = mirror.send(mirror.request("/repos/octo/hello/issues")
                .header("Authorization", EXHAUSTED)
                .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"quota\"}"))
                .build());

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(github.requestCount()).isEqualTo(requestsBefore + 1);
    }

    @Test
    void otherCredentialIsUnaffected() throws Exception {
        spendLastUnit(Instant.now().plus(Duration.ofHours(1)));
        int requestsBefore = github.requestCount();

        HttpResponse<byte[]> response = mirror.get(CACHED, "Authorization", OTHER);

        assertThat(response.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(github.requestCount()).isEqualTo(requestsBefore + 1);
    }

    @Test
    void quotaResetEndsExhaustion() throws Exception {
        Instant reset = Instant.now().plusSeconds(4);
        spendLastUnit(reset);
        assertThat(mirror.get(CACHED, "Authorization", EXHAUSTED).headers().firstValue("X-Cache"))
                .hasValue("STALE_RATE_LIMITED");

        // X-RateLimit-Reset has one-second resolution, so wait until the second after it has begun.
        Conditions.await("the rate-limit window has reset", Duration.ofSeconds(10),
                () -> Instant.now().getEpochSecond() > reset.getEpochSecond());
        int requestsBefore = github.requestCount();
        HttpResponse<byte[]> response = mirror.get(CACHED, "Authorization", EXHAUSTED);

        assertThat(response.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(github.requestCount()).isEqualTo(requestsBefore + 1);
    }

    @Test
    void metricsExposeQuotaAndUnits() throws Exception {
        spendLastUnit(Instant.now().plus(Duration.ofHours(1)));
        mirror.get(CACHED, "Authorization", EXHAUSTED);

        String metrics = MirrorState.metrics(mirror);

        assertThat(metrics).containsPattern(series("github_mirror_rate_limit_remaining", "resource=\"core\""));
        assertThat(metrics).containsPattern(series("github_mirror_rate_limit_units_total", "result=\"spent\""));
        assertThat(metrics).containsPattern(series("github_mirror_rate_limit_units_total", "result=\"saved\""));
    }

    @Test
    void metricsNeverContainTokens() throws Exception {
        spendLastUnit(Instant.now().plus(Duration.ofHours(1)));
        mirror.get(CACHED, "Authorization", EXHAUSTED);

        String metrics = MirrorState.metrics(mirror);

        assertThat(metrics).doesNotContain("ratelimit-exhausted");
        assertThat(metrics).doesNotContain("ratelimit-other");
    }

    /**
     * Lets the exhausted credential spend its last unit on a GET of another repository, whose
     * response then reports {@code X-RateLimit-Remaining: 0} and the given reset.
     */
    private void spendLastUnit(Instant reset) throws Exception {
        github.setRemaining(EXHAUSTED, 1);
        github.setRateLimitReset(EXHAUSTED, reset);
        HttpResponse<byte[]> response = mirror.get("/repos/octo/spender", "Authorization", EXHAUSTED);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
    }

    /** Matches a sample line of the metric whose labels include the given one, with a positive value. */
    private static Pattern series(String name, String label) {
        return Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*" + Pattern.quote(label)
                + "[^}]*} [0-9.]*[1-9][0-9.]*(E[0-9]+)?$");
    }
}
