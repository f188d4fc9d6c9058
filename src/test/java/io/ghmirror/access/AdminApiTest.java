package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The admin API: authentication, stats, purges and their errors. */
class AdminApiTest {

    private static final String ADMIN_TOKEN = "admin-secret-for-tests-0123456789";
    private static final String USER = "token gho_admin_test_user";

    @Test
    void missingOrWrongTokenGets401() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--admin-token=" + ADMIN_TOKEN)) {
            HttpResponse<byte[]> missing = mirror.get("/admin/stats");
            HttpResponse<byte[]> wrong = mirror.get("/admin/stats", "Authorization", "Bearer not-the-token");
            HttpResponse<byte[]> wrongScheme = mirror.get("/admin/stats", "Authorization", "token " + ADMIN_TOKEN);
            HttpResponse<byte[]> prefix = mirror.get("/admin/stats", "Authorization", "Bearer " + ADMIN_TOKEN + "x");

            for (HttpResponse<byte[]> response : java.util.List.of(missing, wrong, wrongScheme, prefix)) {
                assertThat(response.statusCode()).isEqualTo(401);
                assertThat(text(response)).contains("\"message\":").contains("documentation_url");
                assertThat(text(response)).doesNotContain(ADMIN_TOKEN);
            }
            assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                    value -> assertThat(value).startsWith("Bearer"));
            assertThat(github.requestCount()).isZero();
        }
    }

    @Test
    void statsListsEveryTier() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--admin-token=" + ADMIN_TOKEN)) {
            github.addRepository("octo/one");
            mirror.get("/repos/octo/one", "Authorization", USER);
            mirror.get("/repos/octo/one", "Authorization", USER);

            HttpResponse<byte[]> response = admin(mirror, "GET", "/admin/stats");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                    value -> assertThat(value).startsWith("application/json"));
            String json = text(response);
            long entries = mirror.application().cache().memory().entryCount();
            assertThat(entries).isPositive();
            assertThat(json).contains("\"tier\":\"memory\"").contains("\"entries\":" + entries + ",")
                    .contains("\"writes\":")
                    .contains("\"hits\":").contains("\"misses\":").contains("\"evictions\":")
                    .contains("\"errors\":").contains("\"corrupt\":").contains("\"bytes\":");
        }
    }

    @Test
    void purgeByUrlRemovesEveryVariant() throws Exception {
        try (FakeGitHub github = FakeGitHub.start("/api/v3");
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--admin-token=" + ADMIN_TOKEN)) {
            github.addRepository("octo/one");
            github.addRepository("octo/two");
            mirror.get("/repos/octo/one", "Authorization", USER);
            mirror.get("/repos/octo/one", "Authorization", "token gho_someone_else");
            mirror.get("/repos/octo/one");
            mirror.get("/repos/octo/two", "Authorization", USER);
            long entriesBefore = mirror.application().cache().memory().entryCount();

            HttpResponse<byte[]> byUpstreamUrl = admin(mirror, "DELETE",
                    "/admin/cache?url=" + encode(github.baseUrl() + "/repos/octo/one"));

            assertThat(byUpstreamUrl.statusCode()).isEqualTo(200);
            assertThat(text(byUpstreamUrl)).contains("\"target\":\"/repos/octo/one\"");
            long count = count(byUpstreamUrl);
            assertThat(count).as("one variant per credential, at least").isGreaterThanOrEqualTo(3);
            assertThat(mirror.application().cache().memory().entryCount()).isEqualTo(entriesBefore - count);
            assertThat(mirror.get("/repos/octo/one", "Authorization", USER).headers().firstValue("X-Cache"))
                    .hasValue("MISS");
            assertThat(mirror.get("/repos/octo/two", "Authorization", USER).headers().firstValue("X-Cache"))
                    .hasValue("HIT");
        }
    }

    @Test
    void purgeAcceptsMirrorUrlAndPath() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--admin-token=" + ADMIN_TOKEN)) {
            github.addIssues("octo/one", 3);
            mirror.get("/repos/octo/one/issues?per_page=2&page=1", "Authorization", USER);
            mirror.get("/repos/octo/one/issues?per_page=2&page=2", "Authorization", USER);

            HttpResponse<byte[]> byMirrorUrl = admin(mirror, "DELETE", "/admin/cache?url="
                    + encode(mirror.baseUrl() + "/repos/octo/one/issues?per_page=2&page=1"));
            HttpResponse<byte[]> byPath = admin(mirror, "DELETE", "/admin/cache?url="
                    + encode("/repos/octo/one/issues?per_page=2&page=2"));

            assertThat(count(byMirrorUrl)).isPositive();
            assertThat(count(byPath)).isPositive();
            assertThat(mirror.get("/repos/octo/one/issues?per_page=2&page=1", "Authorization", USER).headers()
                    .firstValue("X-Cache")).hasValue("MISS");
            assertThat(mirror.get("/repos/octo/one/issues?per_page=2&page=2", "Authorization", USER).headers()
                    .firstValue("X-Cache")).hasValue("MISS");
        }
    }

    @Test
    void purgeByPrefixAndAll() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--admin-token=" + ADMIN_TOKEN)) {
            github.addRepository("octo/one");
            github.addRepository("octo/two");
            github.addRepository("other/three");
            for (String repository : new String[] {"octo/one", "octo/two", "other/three"}) {
                mirror.get("/repos/" + repository, "Authorization", USER);
            }

            HttpResponse<byte[]> prefix = admin(mirror, "DELETE", "/admin/cache?prefix=" + encode("/repos/octo/"));
            HttpResponse<byte[]> all = admin(mirror, "DELETE", "/admin/cache?all=true");

            assertThat(prefix.statusCode()).isEqualTo(200);
            assertThat(text(prefix)).contains("\"prefix\":\"/repos/octo/\"");
            assertThat(count(prefix)).isGreaterThanOrEqualTo(2);
            assertThat(all.statusCode()).isEqualTo(200);
            assertThat(count(all)).isPositive();
            assertThat(mirror.application().cache().memory().entryCount()).isZero();
        }
    }

    @Test
    void badParametersGet400WithUsage() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--admin-token=" + ADMIN_TOKEN)) {
            String[] targets = {
                "/admin/cache",
                "/admin/cache?all=yes",
                "/admin/cache?url=/a&prefix=/b",
                "/admin/cache?url=" + encode("ftp://example.invalid/x"),
                "/admin/cache?url=",
                "/admin/cache?prefix=relative/path",
                "/admin/cache?url=/a&url=/b",
                "/admin/cache?unknown=1",
            };
            for (String target : targets) {
                HttpResponse<byte[]> response = admin(mirror, "DELETE", target);

                assertThat(response.statusCode()).as(target).isEqualTo(400);
                assertThat(text(response)).as(target).contains("DELETE /admin/cache").contains("documentation_url");
            }
        }
    }

    @Test
    void wrongMethodGets405AndUnknownPath404() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--admin-token=" + ADMIN_TOKEN)) {
            HttpResponse<byte[]> getCache = admin(mirror, "GET", "/admin/cache?all=true");
            HttpResponse<byte[]> postStats = admin(mirror, "POST", "/admin/stats");
            HttpResponse<byte[]> unknown = admin(mirror, "GET", "/admin/users");

            assertThat(getCache.statusCode()).isEqualTo(405);
            assertThat(getCache.headers().firstValue("Allow")).hasValue("DELETE");
            assertThat(postStats.statusCode()).isEqualTo(405);
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(github.requestCount()).isZero();
        }
    }

    @Test
    void withoutAdminTokenAdminPathsAreProxied() throws Exception {
        try (FakeGitHub github = FakeGitHub.start("/api/v3");
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.putJson("/admin/users", "[]");

            HttpResponse<byte[]> response = mirror.get("/admin/users", "Authorization", USER);

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(github.requests()).extracting(request -> request.path()).containsExactly("/api/v3/admin/users");
        }
    }

    @Test
    void actionsAreCountedAndLoggedWithoutToken() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--admin-token=" + ADMIN_TOKEN);
                CapturedLogs logs = CapturedLogs.capture()) {
            admin(mirror, "DELETE", "/admin/cache?all=true");
            mirror.get("/admin/stats", "Authorization", "Bearer wrong-token-value");

            String metrics = mirror.metrics();
            assertThat(metrics).contains("github_mirror_admin_actions_total{action=\"purge_all\",result=\"ok\"} 1.0");
            assertThat(metrics).contains("github_mirror_admin_actions_total{action=\"stats\",result=\"unauthorized\"} 1.0");
            assertThat(logs.text()).contains("purge_all").contains("127.0.0.1");
            assertThat(logs.text()).doesNotContain(ADMIN_TOKEN).doesNotContain("wrong-token-value");
        }
    }

    private static HttpResponse<byte[]> admin(MirrorHarness mirror, String method, String target) throws Exception {
        HttpRequest request = mirror.request(target)
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        return mirror.send(request);
    }

    /** Returns the {@code count} member of a purge response. */
    private static long count(HttpResponse<byte[]> response) {
        Matcher matcher = Pattern.compile("\"count\":(\\d+)").matcher(text(response));
        assertThat(matcher.find()).as("count in " + text(response)).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
