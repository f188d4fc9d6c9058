package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.config.Settings;
import io.ghmirror.http.HeaderFields;
import io.ghmirror.metrics.MirrorMetrics;
import io.ghmirror.mirror.AccessGate;
import io.ghmirror.mirror.CacheKeyGenerator;
import io.ghmirror.mirror.ClientRequest;
import io.ghmirror.mirror.MirrorPipeline;
import io.ghmirror.support.MirrorHarness;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The allowlist's decisions, TTL and failure handling, with a scripted lookup and a settable clock. */
class AccessGateDecisionTest {

    private static final String TOKEN = "token gho_decisiontest";

    private final ManualClock clock = new ManualClock();
    private final ScriptedLookup lookup = new ScriptedLookup();

    @Test
    void disabledAllowlistLetsEveryoneIn() {
        AllowlistGate gate = gate();

        assertThat(gate.check(request(null)).allowed()).isTrue();
        assertThat(gate.check(request(TOKEN)).allowed()).isTrue();
        assertThat(lookup.calls()).isEmpty();
    }

    @Test
    void anonymousRequestGets401WithoutLookup() {
        AllowlistGate gate = gate("--github-users=alice");

        AccessGate.Decision decision = gate.check(request(null));

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.status()).isEqualTo(401);
        assertThat(decision.message()).contains("Authorization");
        assertThat(lookup.calls()).isEmpty();
    }

    @Test
    void listedLoginIsAllowedCaseInsensitively() {
        lookup.on("/user", target -> json(200, "{\"login\":\"Alice\",\"id\":1}"));
        AllowlistGate gate = gate("--github-users=bob:ALICE");

        assertThat(gate.check(request(TOKEN)).allowed()).isTrue();
        assertThat(lookup.calls()).containsExactly("/user");
    }

    @Test
    void unlistedLoginGets403NamingIt() {
        lookup.on("/user", target -> json(200, "{\"login\":\"mallory\"}"));
        AllowlistGate gate = gate("--github-users=alice");

        AccessGate.Decision decision = gate.check(request(TOKEN));

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.status()).isEqualTo(403);
        assertThat(decision.message()).contains("'mallory'");
    }

    @Test
    void rejectedTokenGets401() {
        lookup.on("/user", target -> json(401, "{\"message\":\"Bad credentials\"}"));
        AllowlistGate gate = gate("--github-users=alice");

        AccessGate.Decision decision = gate.check(request(TOKEN));

        assertThat(decision.status()).isEqualTo(401);
        assertThat(decision.message()).contains("Bad credentials");
    }

    @Test
    void decisionIsReusedWithinTtlThenChecked() {
        lookup.on("/user", target -> json(200, "{\"login\":\"alice\"}"));
        AllowlistGate gate = gate("--github-users=alice", "--auth-cache-ttl=10m");

        gate.check(request(TOKEN));
        clock.advance(Duration.ofMinutes(9));
        gate.check(request(TOKEN));
        assertThat(lookup.calls()).hasSize(1);

        clock.advance(Duration.ofMinutes(2));
        gate.check(request(TOKEN));
        assertThat(lookup.calls()).hasSize(2);
    }

    @Test
    void revokedTokenLosesAccessAfterTtl() {
        lookup.on("/user", target -> json(200, "{\"login\":\"alice\"}"));
        AllowlistGate gate = gate("--github-users=alice", "--auth-cache-ttl=1m");
        assertThat(gate.check(request(TOKEN)).allowed()).isTrue();

        lookup.on("/user", target -> json(401, "{\"message\":\"Bad credentials\"}"));
        clock.advance(Duration.ofSeconds(61));

        assertThat(gate.check(request(TOKEN)).status()).isEqualTo(401);
    }

    @Test
    void failedCheckReusesPreviousDecision() {
        lookup.on("/user", target -> json(200, "{\"login\":\"alice\"}"));
        AllowlistGate gate = gate("--github-users=alice", "--auth-cache-ttl=1m");
        gate.check(request(TOKEN));

        lookup.on("/user", target -> json(502, "{\"message\":\"Bad gateway\"}"));
        clock.advance(Duration.ofMinutes(2));

        assertThat(gate.check(request(TOKEN)).allowed()).isTrue();
        int callsAfterFailure = lookup.calls().size();
        clock.advance(Duration.ofSeconds(10));
        assertThat(gate.check(request(TOKEN)).allowed()).isTrue();
        assertThat(lookup.calls()).hasSize(callsAfterFailure);
    }

    @Test
    void failedCheckWithoutPreviousDecisionGets502() {
        lookup.on("/user", target -> json(503, "{\"message\":\"Service unavailable\"}"));
        AllowlistGate gate = gate("--github-users=alice");

        AccessGate.Decision decision = gate.check(request(TOKEN));

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.status()).isEqualTo(502);
        assertThat(decision.message()).contains("could not check");
    }

    @Test
    void timedOutCheckWithoutPreviousDecisionGets504() {
        lookup.on("/user", target -> json(504, "{\"message\":\"timed out\"}"));
        AllowlistGate gate = gate("--github-users=alice");

        assertThat(gate.check(request(TOKEN)).status()).isEqualTo(504);
    }

    @Test
    void rateLimitedCheckIsAFailureNotADenial() {
        lookup.on("/user", target -> new MirrorPipeline.InternalResponse(403,
                new HeaderFields().add("X-RateLimit-Remaining", "0"),
                "{\"message\":\"API rate limit exceeded for user ID 1.\"}".getBytes(StandardCharsets.UTF_8)));
        AllowlistGate gate = gate("--github-users=alice");

        assertThat(gate.check(request(TOKEN)).status()).isEqualTo(502);
    }

    @Test
    void staleUserDecidesOnlyUntilRetry() {
        lookup.on("/user", target -> stale(json(200, "{\"login\":\"alice\"}")));
        AllowlistGate gate = gate("--github-users=alice", "--auth-cache-ttl=10m");

        assertThat(gate.check(request(TOKEN)).allowed()).isTrue();
        clock.advance(Duration.ofSeconds(31));
        gate.check(request(TOKEN));

        assertThat(lookup.calls()).hasSize(2);
    }

    @Test
    void orgMemberFromUserOrgsIsAllowed() {
        lookup.on("/user", target -> json(200, "{\"login\":\"carol\"}"));
        lookup.on("/user/orgs?per_page=100&page=1", target -> json(200, orgs(100, "other")));
        lookup.on("/user/orgs?per_page=100&page=2", target -> json(200, "[{\"login\":\"Acme\",\"id\":7}]"));
        AllowlistGate gate = gate("--github-orgs=acme");

        assertThat(gate.check(request(TOKEN)).allowed()).isTrue();
        assertThat(lookup.calls()).containsExactly("/user", "/user/orgs?per_page=100&page=1",
                "/user/orgs?per_page=100&page=2");
    }

    @Test
    void nonMemberOfListedOrgsIsDenied() {
        lookup.on("/user", target -> json(200, "{\"login\":\"dave\"}"));
        lookup.on("/user/orgs?per_page=100&page=1", target -> json(200, "[{\"login\":\"elsewhere\"}]"));
        AllowlistGate gate = gate("--github-orgs=acme");

        AccessGate.Decision decision = gate.check(request(TOKEN));

        assertThat(decision.status()).isEqualTo(403);
        assertThat(decision.message()).contains("'dave'");
    }

    @Test
    void refusedOrgListFallsBackToMembershipCheck() {
        lookup.on("/user", target -> json(200, "{\"login\":\"erin\"}"));
        lookup.on("/user/orgs?per_page=100&page=1", target -> json(403, "{\"message\":\"Must have admin rights\"}"));
        lookup.on("/orgs/acme/members/erin", target -> new MirrorPipeline.InternalResponse(204, new HeaderFields(),
                new byte[0]));
        AllowlistGate gate = gate("--github-orgs=acme");

        assertThat(gate.check(request(TOKEN)).allowed()).isTrue();
        assertThat(lookup.calls()).contains("/orgs/acme/members/erin");
    }

    @Test
    void membershipCheck404IsNotMember() {
        lookup.on("/user", target -> json(200, "{\"login\":\"erin\"}"));
        lookup.on("/user/orgs?per_page=100&page=1", target -> json(403, "{\"message\":\"Must have admin rights\"}"));
        lookup.on("/orgs/acme/members/erin", target -> json(404, "{\"message\":\"Not Found\"}"));
        AllowlistGate gate = gate("--github-orgs=acme");

        assertThat(gate.check(request(TOKEN)).status()).isEqualTo(403);
    }

    @Test
    void concurrentChecksShareOneLookup() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        lookup.on("/user", target -> {
            entered.countDown();
            await(release);
            return json(200, "{\"login\":\"alice\"}");
        });
        AllowlistGate gate = gate("--github-users=alice");

        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<AccessGate.Decision>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(threads.submit(() -> gate.check(request(TOKEN))));
            }
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            release.countDown();
            for (Future<AccessGate.Decision> result : results) {
                assertThat(result.get(10, TimeUnit.SECONDS).allowed()).isTrue();
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(lookup.calls()).containsExactly("/user");
    }

    @Test
    void userLabelFollowsSetting() {
        lookup.on("/user", target -> json(200, "{\"login\":\"alice\"}"));
        AllowlistGate byLogin = gate("--github-users=alice", "--metrics-user-label=login");
        AllowlistGate byHash = gate("--metrics-user-label=hash");
        AllowlistGate none = gate("--metrics-user-label=none");

        String before = byLogin.userLabel(request(TOKEN));
        byLogin.check(request(TOKEN));

        assertThat(before).matches("[0-9a-f]{12}");
        assertThat(byLogin.userLabel(request(TOKEN))).isEqualTo("alice");
        assertThat(byHash.userLabel(request(TOKEN))).matches("[0-9a-f]{12}").isEqualTo(before);
        assertThat(byHash.userLabel(request(null))).isEqualTo("anonymous");
        assertThat(none.userLabel(request(TOKEN))).isEmpty();
    }

    @Test
    void lookupCarriesOnlyTheCallersAuthorization() {
        List<HeaderFields> seen = new CopyOnWriteArrayList<>();
        AllowlistGate gate = gate("--github-users=alice");
        gate.connect((target, headers) -> {
            seen.add(headers);
            return json(200, "{\"login\":\"alice\"}");
        });

        gate.check(request(TOKEN));

        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).all("Authorization")).containsExactly(TOKEN);
        assertThat(seen.get(0).size()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- helpers

    private AllowlistGate gate(String... args) {
        List<String> all = new ArrayList<>(List.of("--github-api-url=http://127.0.0.1:1", "--upstream-timeout=2s"));
        all.addAll(List.of(args));
        Settings settings = MirrorHarness.settings(all.toArray(String[]::new));
        AllowlistGate gate = new AllowlistGate(settings, new CacheKeyGenerator(new byte[32]), new MirrorMetrics(), clock);
        gate.connect(lookup);
        return gate;
    }

    private static ClientRequest request(String authorization) {
        HeaderFields headers = new HeaderFields().add("Accept", "application/vnd.github+json");
        if (authorization != null) {
            headers.add("Authorization", authorization);
        }
        return new ClientRequest("GET", "/repos/o/r", null, headers, InputStream.nullInputStream(), 0, "127.0.0.1",
                "http://127.0.0.1:8080");
    }

    private static MirrorPipeline.InternalResponse json(int status, String body) {
        return new MirrorPipeline.InternalResponse(status,
                new HeaderFields().add("Content-Type", "application/json; charset=utf-8").add("X-Cache", "MISS"),
                body.getBytes(StandardCharsets.UTF_8));
    }

    private static MirrorPipeline.InternalResponse stale(MirrorPipeline.InternalResponse response) {
        return new MirrorPipeline.InternalResponse(response.status(),
                response.headers().copy().set("X-Cache", "STALE_ERROR"), response.body());
    }

    private static String orgs(int count, String prefix) {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            items.add("{\"login\":\"" + prefix + i + "\",\"id\":" + i + "}");
        }
        return "[" + String.join(",", items) + "]";
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the lookup");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Answers lookups from per-target functions and records the targets asked for. */
    private static final class ScriptedLookup implements AllowlistGate.Lookup {
        private final Map<String, Function<String, MirrorPipeline.InternalResponse>> answers = new ConcurrentHashMap<>();
        private final List<String> calls = new CopyOnWriteArrayList<>();

        void on(String target, Function<String, MirrorPipeline.InternalResponse> answer) {
            answers.put(target, answer);
        }

        List<String> calls() {
            return calls;
        }

        @Override
        public MirrorPipeline.InternalResponse get(String target, HeaderFields headers) throws IOException {
            calls.add(target);
            Function<String, MirrorPipeline.InternalResponse> answer = answers.get(target);
            if (answer == null) {
                throw new IOException("no scripted answer for " + target);
            }
            return answer.apply(target);
        }
    }

    /** A clock that moves only when the test says so. */
    private static final class ManualClock extends Clock {
        private final AtomicLong millis = new AtomicLong(Instant.parse("2026-01-01T00:00:00Z").toEpochMilli());

        void advance(Duration duration) {
            millis.addAndGet(duration.toMillis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }

        @Override
        public long millis() {
            return millis.get();
        }
    }
}
