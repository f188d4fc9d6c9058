package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.Fault;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.fake.RecordedRequest;
import io.ghmirror.support.MirrorHarness;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The allowlist end to end: a mirror in front of the fake GitHub, which serves /user and /user/orgs. */
class AccessAllowlistTest {

    private static final String ALICE = "token gho_alice_allowlist";
    private static final String MALLORY = "token gho_mallory_allowlist";
    private static final String CAROL = "token gho_carol_allowlist";

    @Test
    void disabledAllowlistServesAnonymousAndAuthenticated() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.addRepository("octo/open");

            assertThat(mirror.get("/repos/octo/open").statusCode()).isEqualTo(200);
            assertThat(mirror.get("/repos/octo/open", "Authorization", ALICE).statusCode()).isEqualTo(200);
            assertThat(paths(github)).doesNotContain("/user");
        }
    }

    @Test
    void anonymousRequestGets401Json() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice")) {
            github.addRepository("octo/open");

            HttpResponse<byte[]> response = mirror.get("/repos/octo/open");

            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(text(response)).contains("\"message\":").contains("\"documentation_url\":");
            assertThat(github.requestCount()).isZero();
        }
    }

    @Test
    void allowedUserIsServedAndUserLookupIsCached() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=Alice")) {
            github.addUser("gho_alice_allowlist", "alice");
            github.addRepository("octo/open");

            HttpResponse<byte[]> first = mirror.get("/repos/octo/open", "Authorization", ALICE);
            HttpResponse<byte[]> second = mirror.get("/repos/octo/open", "Authorization", ALICE);

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(paths(github)).containsExactly("/user", "/repos/octo/open", "/repos/octo/open");
        }
    }

    @Test
    void expiredDecisionIsRevalidatedForFree() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice",
                        "--auth-cache-ttl=0s")) {
            github.addUser("gho_alice_allowlist", "alice");
            github.addRepository("octo/open");

            mirror.get("/repos/octo/open", "Authorization", ALICE);
            int unitsAfterFirst = github.unitsSpent(ALICE);
            HttpResponse<byte[]> again = mirror.get("/repos/octo/open", "Authorization", ALICE);

            assertThat(again.statusCode()).isEqualTo(200);
            List<RecordedRequest> userLookups = github.requests().stream()
                    .filter(request -> request.path().equals("/user")).toList();
            assertThat(userLookups).hasSize(2);
            assertThat(userLookups.get(1).header("If-None-Match")).isNotNull();
            assertThat(github.unitsSpent(ALICE)).isEqualTo(unitsAfterFirst);
        }
    }

    @Test
    void unlistedUserGets403NamingLogin() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice")) {
            github.addUser("gho_mallory_allowlist", "mallory");
            github.addRepository("octo/open");

            HttpResponse<byte[]> response = mirror.get("/repos/octo/open", "Authorization", MALLORY);

            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(text(response)).contains("mallory").contains("documentation_url");
            assertThat(paths(github)).containsExactly("/user");
        }
    }

    @Test
    void unknownTokenGets401() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice")) {
            github.addRepository("octo/open");

            HttpResponse<byte[]> response = mirror.get("/repos/octo/open", "Authorization", "token gho_unknown");

            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(text(response)).contains("Bad credentials");
        }
    }

    @Test
    void revokedTokenLosesAccessAfterTtl() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice",
                        "--auth-cache-ttl=0s")) {
            github.addUser("gho_alice_allowlist", "alice");
            github.addRepository("octo/open");
            assertThat(mirror.get("/repos/octo/open", "Authorization", ALICE).statusCode()).isEqualTo(200);

            github.inject(Fault.status(401, "{\"message\":\"Bad credentials\"}", null).onPath("/user").untilCleared());

            assertThat(mirror.get("/repos/octo/open", "Authorization", ALICE).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void orgMemberIsAllowedAndRemovalTakesEffect() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-orgs=acme",
                        "--auth-cache-ttl=0s")) {
            github.addUser("gho_carol_allowlist", "carol");
            github.addRepository("octo/open");
            github.putPrivate("/user/orgs", "[{\"login\":\"other\"},{\"login\":\"ACME\"}]", CAROL);

            assertThat(mirror.get("/repos/octo/open", "Authorization", CAROL).statusCode()).isEqualTo(200);

            github.putPrivate("/user/orgs", "[{\"login\":\"other\"}]", CAROL);

            assertThat(mirror.get("/repos/octo/open", "Authorization", CAROL).statusCode()).isEqualTo(403);
        }
    }

    @Test
    void membershipCheckIsFallbackForRefusedOrgList() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-orgs=acme")) {
            github.addUser("gho_carol_allowlist", "carol");
            github.addRepository("octo/open");
            github.inject(Fault.status(403, "{\"message\":\"Must have admin rights to Repository.\"}", null)
                    .onPath("/user/orgs").untilCleared());
            github.inject(Fault.status(204, "", null).onPath("/orgs/acme/members/carol").untilCleared());

            HttpResponse<byte[]> response = mirror.get("/repos/octo/open", "Authorization", CAROL);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(paths(github)).contains("/user/orgs", "/orgs/acme/members/carol");
        }
    }

    @Test
    void upstreamDownReusesPreviousDecision() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice",
                        "--auth-cache-ttl=0s", "--circuit-failure-threshold=0")) {
            github.addUser("gho_alice_allowlist", "alice");
            github.addRepository("octo/open");
            assertThat(mirror.get("/repos/octo/open", "Authorization", ALICE).statusCode()).isEqualTo(200);

            github.setOffline(true);
            HttpResponse<byte[]> response = mirror.get("/repos/octo/open", "Authorization", ALICE);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("X-Cache")).hasValue("STALE_ERROR");
        }
    }

    @Test
    void upstreamDownWithoutDecisionGets502() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice",
                        "--circuit-failure-threshold=0")) {
            github.addUser("gho_alice_allowlist", "alice");
            github.setOffline(true);

            HttpResponse<byte[]> response = mirror.get("/repos/octo/open", "Authorization", ALICE);

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(text(response)).contains("could not check").contains("documentation_url");
        }
    }

    @Test
    void slowUserLookupWithoutDecisionGets504() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice",
                        "--upstream-timeout=500ms", "--circuit-failure-threshold=0")) {
            github.addUser("gho_alice_allowlist", "alice");
            github.inject(Fault.delay(Duration.ofSeconds(5)).onPath("/user"));

            HttpResponse<byte[]> response = mirror.get("/repos/octo/open", "Authorization", ALICE);

            assertThat(response.statusCode()).isEqualTo(504);
        }
    }

    @Test
    void concurrentFirstRequestsLookUpUserOnce() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice")) {
            github.addUser("gho_alice_allowlist", "alice");
            github.addRepository("octo/open");
            github.inject(Fault.delay(Duration.ofMillis(300)).onPath("/user"));

            ExecutorService threads = Executors.newFixedThreadPool(6);
            try {
                List<Future<Integer>> statuses = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    statuses.add(threads.submit(
                            () -> mirror.get("/repos/octo/open", "Authorization", ALICE).statusCode()));
                }
                for (Future<Integer> status : statuses) {
                    assertThat(status.get(20, TimeUnit.SECONDS)).isEqualTo(200);
                }
            } finally {
                threads.shutdownNow();
            }
            assertThat(paths(github).stream().filter("/user"::equals)).hasSize(1);
        }
    }

    @Test
    void ownEndpointsStayOpen() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice")) {
            assertThat(mirror.get("/metrics").statusCode()).isEqualTo(200);
            assertThat(mirror.get("/healthz").statusCode()).isEqualTo(200);
            assertThat(mirror.get("/readyz").statusCode()).isEqualTo(200);
            assertThat(github.requestCount()).isZero();
        }
    }

    @Test
    void decisionsAreCounted() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice")) {
            github.addUser("gho_alice_allowlist", "alice");
            github.addUser("gho_mallory_allowlist", "mallory");
            github.addRepository("octo/open");

            mirror.get("/repos/octo/open", "Authorization", ALICE);
            mirror.get("/repos/octo/open", "Authorization", MALLORY);
            mirror.get("/repos/octo/open");

            String metrics = mirror.metrics();
            assertThat(metrics).contains("github_mirror_access_decisions_total{result=\"allowed\"} 1.0");
            assertThat(metrics).contains("github_mirror_access_decisions_total{result=\"denied\"} 1.0");
            assertThat(metrics).contains("github_mirror_access_decisions_total{result=\"unauthenticated\"} 1.0");
        }
    }

    private static List<String> paths(FakeGitHub github) {
        return github.requests().stream().map(RecordedRequest::path).toList();
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
