package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.fake.RecordedRequest;
import io.ghmirror.support.MirrorHarness;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Caching through real sockets: hits, revalidation, variants, replacement and what is never stored. */
class CoreCachingTest {

    private static final String TOKEN_A = "token caching-a";
    private static final String TOKEN_B = "token caching-b";

    private FakeGitHub github;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        mirror = MirrorHarness.start(github.baseUrl());
    }

    @AfterEach
    void stop() {
        if (mirror != null) {
            mirror.close();
        }
        if (github != null) {
            github.close();
        }
    }

    @Test
    void secondGetIsHitWithSameBody() throws Exception {
        github.addRepository("octo/hello");

        HttpResponse<byte[]> first = mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);
        HttpResponse<byte[]> second = mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(second.body()).isEqualTo(first.body());
    }

    @Test
    void hitCostsNoUnits() throws Exception {
        github.addRepository("octo/hello");

        mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);
        int afterMiss = github.unitsSpent(TOKEN_A);
        for (int i = 0; i < 5; i++) {
            mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);
        }

        assertThat(afterMiss).isEqualTo(1);
        assertThat(github.unitsSpent(TOKEN_A)).isEqualTo(1);
    }

    @Test
    void revalidationSendsStoredEtag() throws Exception {
        github.addRepository("octo/hello");

        HttpResponse<byte[]> first = mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);
        mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);

        List<RecordedRequest> requests = github.requests();
        assertThat(requests).hasSize(2);
        assertThat(requests.get(0).header("If-None-Match")).isNull();
        assertThat(first.headers().firstValue("ETag")).isPresent();
        assertThat(requests.get(1).header("If-None-Match")).isEqualTo(first.headers().firstValue("ETag").get());
    }

    @Test
    void dateOnlyEntrySendsIfModifiedSince() throws Exception {
        String body = "{\"names\":[\"dated\"]}";
        github.putJson("/repos/octo/hello/topics", body);
        github.setLastModified("/repos/octo/hello/topics", Instant.parse("2024-01-02T03:04:05Z"));
        // A 200 with Last-Modified and no ETag, so the entry has only a date validator.
        github.failNext(200, body, Map.of("Last-Modified", "Tue, 02 Jan 2024 03:04:05 GMT"));

        HttpResponse<byte[]> first = mirror.get("/repos/octo/hello/topics", "Authorization", TOKEN_A);
        HttpResponse<byte[]> second = mirror.get("/repos/octo/hello/topics", "Authorization", TOKEN_A);

        assertThat(first.headers().firstValue("ETag")).isEmpty();
        RecordedRequest revalidation = github.requests().get(1);
        assertThat(revalidation.header("If-Modified-Since")).isEqualTo("Tue, 02 Jan 2024 03:04:05 GMT");
        assertThat(revalidation.header("If-None-Match")).isNull();
        assertThat(second.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(second.body()).isEqualTo(first.body());
    }

    @Test
    void privateBodyNeverServedToOtherToken() throws Exception {
        String secret = "{\"name\":\"secret-plans\",\"private\":true}";
        github.putPrivate("/repos/octo/secret", secret, TOKEN_A);

        HttpResponse<byte[]> ownerMiss = mirror.get("/repos/octo/secret", "Authorization", TOKEN_A);
        HttpResponse<byte[]> ownerHit = mirror.get("/repos/octo/secret", "Authorization", TOKEN_A);
        HttpResponse<byte[]> otherFirst = mirror.get("/repos/octo/secret", "Authorization", TOKEN_B);
        HttpResponse<byte[]> otherSecond = mirror.get("/repos/octo/secret", "Authorization", TOKEN_B);
        HttpResponse<byte[]> anonymous = mirror.get("/repos/octo/secret");

        assertThat(ownerMiss.statusCode()).isEqualTo(200);
        assertThat(ownerHit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(new String(ownerHit.body(), StandardCharsets.UTF_8)).contains("secret-plans");
        for (HttpResponse<byte[]> denied : List.of(otherFirst, otherSecond, anonymous)) {
            assertThat(denied.statusCode()).as("status for another caller").isEqualTo(404);
            assertThat(new String(denied.body(), StandardCharsets.UTF_8)).doesNotContain("secret-plans");
            assertThat(denied.headers().firstValue("X-Cache")).hasValue("MISS");
        }
        assertThat(github.unitsSpent(TOKEN_B)).isEqualTo(2);
    }

    @Test
    void userEndpointNeverCrossesTokens() throws Exception {
        github.addUser("caching-a", "alice");
        github.addUser("caching-b", "bob");

        for (int round = 1; round <= 2; round++) {
            HttpResponse<byte[]> alice = mirror.get("/user", "Authorization", TOKEN_A);
            HttpResponse<byte[]> bob = mirror.get("/user", "Authorization", TOKEN_B);

            assertThat(new String(alice.body(), StandardCharsets.UTF_8)).as("round %d for alice", round)
                    .contains("\"login\":\"alice\"").doesNotContain("\"bob\"");
            assertThat(new String(bob.body(), StandardCharsets.UTF_8)).as("round %d for bob", round)
                    .contains("\"login\":\"bob\"").doesNotContain("\"alice\"");
        }
    }

    @Test
    void rawAndJsonVariantsKeptApart() throws Exception {
        github.putContent("octo/hello", "README.md", "# Hello\n");
        String path = "/repos/octo/hello/contents/README.md";

        HttpResponse<byte[]> json = mirror.get(path, "Accept", "application/vnd.github+json");
        HttpResponse<byte[]> raw = mirror.get(path, "Accept", "application/vnd.github.raw");
        HttpResponse<byte[]> jsonAgain = mirror.get(path, "Accept", "application/vnd.github+json");
        HttpResponse<byte[]> rawAgain = mirror.get(path, "Accept", "application/vnd.github.raw");

        assertThat(raw.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(new String(json.body(), StandardCharsets.UTF_8)).contains("\"encoding\"");
        assertThat(raw.body()).isEqualTo("# Hello\n".getBytes(StandardCharsets.UTF_8));
        assertThat(jsonAgain.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(jsonAgain.body()).isEqualTo(json.body());
        assertThat(rawAgain.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(rawAgain.body()).isEqualTo(raw.body());
        assertThat(rawAgain.headers().firstValue("Content-Type")).hasValue("application/vnd.github.raw");
    }

    @Test
    void apiVersionVariantsKeptApart() throws Exception {
        github.addRepository("octo/hello");

        HttpResponse<byte[]> older = mirror.get("/repos/octo/hello", "X-GitHub-Api-Version", "2022-11-28");
        HttpResponse<byte[]> newer = mirror.get("/repos/octo/hello", "X-GitHub-Api-Version", "2026-03-10");
        HttpResponse<byte[]> olderAgain = mirror.get("/repos/octo/hello", "X-GitHub-Api-Version", "2022-11-28");

        assertThat(older.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(newer.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(olderAgain.headers().firstValue("X-Cache")).hasValue("HIT");
        RecordedRequest newerUpstream = github.requests().get(1);
        assertThat(newerUpstream.header("X-GitHub-Api-Version")).isEqualTo("2026-03-10");
        assertThat(newerUpstream.header("If-None-Match")).isNull();
    }

    @Test
    void changedResourceReplacesEntry() throws Exception {
        github.putJson("/repos/octo/hello/topics", "{\"names\":[\"old\"]}");
        mirror.get("/repos/octo/hello/topics", "Authorization", TOKEN_A);

        github.putJson("/repos/octo/hello/topics", "{\"names\":[\"new\"]}");
        HttpResponse<byte[]> changed = mirror.get("/repos/octo/hello/topics", "Authorization", TOKEN_A);
        HttpResponse<byte[]> after = mirror.get("/repos/octo/hello/topics", "Authorization", TOKEN_A);

        assertThat(changed.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(new String(changed.body(), StandardCharsets.UTF_8)).isEqualTo("{\"names\":[\"new\"]}");
        assertThat(after.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(new String(after.body(), StandardCharsets.UTF_8)).isEqualTo("{\"names\":[\"new\"]}");
        assertThat(after.headers().firstValue("ETag")).isEqualTo(changed.headers().firstValue("ETag"));
    }

    @Test
    void notFoundRemovesEntry() throws Exception {
        github.putJson("/repos/octo/gone", "{\"name\":\"gone\"}");
        // Without derivation the only way to revalidate is the entry of this token, so its removal shows.
        try (MirrorHarness plain = MirrorHarness.start(github.baseUrl(), "--etag-derivation=false")) {
            plain.get("/repos/octo/gone", "Authorization", TOKEN_A);

            github.remove("/repos/octo/gone");
            HttpResponse<byte[]> missing = plain.get("/repos/octo/gone", "Authorization", TOKEN_A);
            plain.application().cache().memory().cleanUp();
            long entriesAfter404 = plain.application().cache().memory().entryCount();
            github.putJson("/repos/octo/gone", "{\"name\":\"gone\"}");
            github.clearRequests();
            HttpResponse<byte[]> back = plain.get("/repos/octo/gone", "Authorization", TOKEN_A);

            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(entriesAfter404).isZero();
            assertThat(back.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(github.requests()).singleElement()
                    .satisfies(request -> assertThat(request.header("If-None-Match")).isNull());
        }
    }

    @Test
    void goneResourceNeverServedStale() throws Exception {
        github.putJson("/repos/octo/gone", "{\"name\":\"gone\"}");
        mirror.get("/repos/octo/gone", "Authorization", TOKEN_A);
        github.remove("/repos/octo/gone");
        HttpResponse<byte[]> missing = mirror.get("/repos/octo/gone", "Authorization", TOKEN_A);

        github.failNext(500, "{\"message\":\"Server Error\"}", Map.of());
        HttpResponse<byte[]> failing = mirror.get("/repos/octo/gone", "Authorization", TOKEN_A);

        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(failing.statusCode()).isEqualTo(500);
        assertThat(new String(failing.body(), StandardCharsets.UTF_8)).doesNotContain("\"gone\"");
    }

    @Test
    void noStoreResponseNotStored() throws Exception {
        github.putJson("/repos/octo/hello/traffic", "{\"count\":1}");
        github.failNext(200, "{\"count\":1}", Map.of("Cache-Control", "no-store", "ETag", "\"no-store-1\""));

        HttpResponse<byte[]> first = mirror.get("/repos/octo/hello/traffic", "Authorization", TOKEN_A);
        long entriesAfterFirst = mirror.application().cache().memory().entryCount();
        HttpResponse<byte[]> second = mirror.get("/repos/octo/hello/traffic", "Authorization", TOKEN_A);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(entriesAfterFirst).isZero();
        assertThat(second.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(github.requests().get(1).header("If-None-Match")).isNull();
    }

    @Test
    void unstorableChangeDropsOldEntry() throws Exception {
        github.putJson("/repos/octo/hello/traffic", "{\"count\":1}");
        mirror.get("/repos/octo/hello/traffic", "Authorization", TOKEN_A);
        github.failNext(200, "{\"count\":2}", Map.of("Cache-Control", "no-store"));
        HttpResponse<byte[]> changed = mirror.get("/repos/octo/hello/traffic", "Authorization", TOKEN_A);
        github.failNext(500, "{\"message\":\"Server Error\"}", Map.of());

        HttpResponse<byte[]> duringOutage = mirror.get("/repos/octo/hello/traffic", "Authorization", TOKEN_A);

        assertThat(new String(changed.body())).isEqualTo("{\"count\":2}");
        // The old body is outdated, so it must not come back as a stale answer.
        assertThat(duringOutage.statusCode()).isEqualTo(500);
        assertThat(new String(duringOutage.body())).doesNotContain("\"count\":1");
    }

    @Test
    void oversizedBodyStreamsUncached() throws Exception {
        byte[] archive = new byte[300 * 1024];
        new Random(7).nextBytes(archive);
        github.putRaw("/repos/octo/hello/tarball/main", archive, "application/octet-stream");

        try (MirrorHarness small = MirrorHarness.start(github.baseUrl(), "--cache-max-entry-bytes=64KiB")) {
            HttpResponse<byte[]> first = small.get("/repos/octo/hello/tarball/main", "Authorization", TOKEN_A);
            HttpResponse<byte[]> second = small.get("/repos/octo/hello/tarball/main", "Authorization", TOKEN_A);

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(second.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(first.body()).isEqualTo(archive);
            assertThat(second.body()).isEqualTo(archive);
            assertThat(small.application().cache().memory().entryCount()).isZero();
            assertThat(github.requests().get(1).header("If-None-Match")).isNull();
            assertThat(github.unitsSpent(TOKEN_A)).isEqualTo(2);
        }
    }

    @Test
    void notModifiedRefreshesLinkAndQuota() throws Exception {
        github.addIssues("octo/hello", 60);
        String page = "/repos/octo/hello/issues?per_page=30";
        HttpResponse<byte[]> stored = mirror.get(page, "Authorization", TOKEN_A);

        // Page 1 keeps its body and ETag, but the last page moves from 2 to 3.
        github.addIssues("octo/hello", 30);
        // Spends one unit, so the quota at the time of the 304 differs from the stored one.
        mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);
        HttpResponse<byte[]> hit = mirror.get(page, "Authorization", TOKEN_A);

        assertThat(stored.headers().firstValue("Link").orElseThrow()).contains("page=2>; rel=\"last\"");
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(hit.body()).isEqualTo(stored.body());
        assertThat(hit.headers().firstValue("Link").orElseThrow()).contains("page=3>; rel=\"last\"");
        assertThat(hit.headers().firstValue("X-RateLimit-Remaining"))
                .hasValue(Integer.toString(github.remaining(TOKEN_A)));
        assertThat(hit.headers().firstValue("X-RateLimit-Remaining"))
                .isNotEqualTo(stored.headers().firstValue("X-RateLimit-Remaining"));
    }

    @Test
    void clientEtagMatchingGets304() throws Exception {
        github.addRepository("octo/hello");
        HttpResponse<byte[]> first = mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);
        String etag = first.headers().firstValue("ETag").orElseThrow();

        HttpResponse<byte[]> conditional = mirror.get("/repos/octo/hello",
                "Authorization", TOKEN_A, "If-None-Match", etag);

        assertThat(conditional.statusCode()).isEqualTo(304);
        assertThat(conditional.body()).isEmpty();
        assertThat(conditional.headers().firstValue("ETag")).hasValue(etag);
        assertThat(conditional.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(github.unitsSpent(TOKEN_A)).isEqualTo(1);
    }

    @Test
    void clientEtagNotMatchingGets200() throws Exception {
        github.addRepository("octo/hello");
        HttpResponse<byte[]> first = mirror.get("/repos/octo/hello", "Authorization", TOKEN_A);

        HttpResponse<byte[]> conditional = mirror.get("/repos/octo/hello",
                "Authorization", TOKEN_A, "If-None-Match", "\"some-other-version\"");

        assertThat(conditional.statusCode()).isEqualTo(200);
        assertThat(conditional.body()).isEqualTo(first.body());
        assertThat(conditional.headers().firstValue("X-Cache")).hasValue("HIT");
    }

    @Test
    void clientEtagOfOldVersionGets200() throws Exception {
        github.putJson("/repos/octo/hello/topics", "{\"names\":[\"old\"]}");
        String oldEtag = mirror.get("/repos/octo/hello/topics", "Authorization", TOKEN_A)
                .headers().firstValue("ETag").orElseThrow();

        github.putJson("/repos/octo/hello/topics", "{\"names\":[\"new\"]}");
        HttpResponse<byte[]> conditional = mirror.get("/repos/octo/hello/topics",
                "Authorization", TOKEN_A, "If-None-Match", oldEtag);

        assertThat(conditional.statusCode()).isEqualTo(200);
        assertThat(new String(conditional.body(), StandardCharsets.UTF_8)).isEqualTo("{\"names\":[\"new\"]}");
        assertThat(conditional.headers().firstValue("ETag")).isNotEqualTo(Optional.of(oldEtag));
    }

    @Test
    void clientEtagWithoutEntryIsForwarded() throws Exception {
        github.addRepository("octo/hello");
        String etag = mirror.get("/repos/octo/hello", "Authorization", TOKEN_A)
                .headers().firstValue("ETag").orElseThrow();

        try (MirrorHarness fresh = MirrorHarness.start(github.baseUrl())) {
            github.clearRequests();
            HttpResponse<byte[]> conditional = fresh.get("/repos/octo/hello",
                    "Authorization", TOKEN_A, "If-None-Match", etag);

            assertThat(conditional.statusCode()).isEqualTo(304);
            assertThat(conditional.body()).isEmpty();
            assertThat(github.requests()).singleElement()
                    .satisfies(request -> assertThat(request.header("If-None-Match")).isEqualTo(etag));
            assertThat(github.unitsSpent(TOKEN_A)).isEqualTo(1);
        }
    }
}
