package io.ghmirror.fake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.http.DateGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kohsuke.github.GHIssue;
import org.kohsuke.github.GHIssueState;
import org.kohsuke.github.GHMyself;
import org.kohsuke.github.GHRepository;
import org.kohsuke.github.GitHub;
import org.kohsuke.github.GitHubBuilder;

/** Tests of {@link FakeGitHub} through a real socket with {@link HttpClient}. */
class FakeGitHubTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private FakeGitHub fake;
    private HttpClient client;

    @BeforeEach
    void startFake() {
        fake = FakeGitHub.start();
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(TIMEOUT)
                .build();
    }

    @AfterEach
    void stopFake() {
        client.close();
        fake.close();
    }

    // ---- ETags and conditional requests ------------------------------------------------------------------------

    @Test
    void etagFollowsGitHubFormula() throws Exception {
        String body = "{\"a\":1}";
        fake.putJson("/things/1", body);

        HttpResponse<byte[]> response = get("/things/1", "Accept", "application/json", "Authorization", "token t1");

        String expected = sha256Hex("application/json:" + "token t1:" + body);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "ETag")).isEqualTo("\"" + expected + "\"");
        assertThat(header(response, "Content-Type")).isEqualTo("application/json; charset=utf-8");
        assertThat(header(response, "Vary")).isEqualTo("Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding");
        assertThat(header(response, "Cache-Control")).isEqualTo("private, max-age=60, s-maxage=60");
        assertThat(header(response, "X-GitHub-Media-Type")).isEqualTo("github.v3; format=json");
        assertThat(header(response, "Last-Modified")).isNotNull();
        assertThat(header(response, "Date")).isNotNull();
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void etagDiffersPerTokenAndAccept() throws Exception {
        fake.putJson("/things/1", "{\"a\":1}");

        String tokenA = header(get("/things/1", "Authorization", "token a"), "ETag");
        String tokenAAgain = header(get("/things/1", "Authorization", "token a"), "ETag");
        String tokenB = header(get("/things/1", "Authorization", "token b"), "ETag");
        String anonymous = header(get("/things/1"), "ETag");
        String otherAccept = header(get("/things/1", "Authorization", "token a",
                "Accept", "application/vnd.github+json"), "ETag");
        String withCookie = header(get("/things/1", "Authorization", "token a", "Cookie", "x=1"), "ETag");

        assertThat(tokenAAgain).isEqualTo(tokenA);
        assertThat(List.of(tokenA, tokenB, anonymous, otherAccept, withCookie)).doesNotHaveDuplicates();
    }

    @Test
    void anonymousResponseIsPublic() throws Exception {
        fake.putJson("/things/1", "{}");

        HttpResponse<byte[]> response = get("/things/1");

        assertThat(header(response, "Cache-Control")).isEqualTo("public, max-age=60, s-maxage=60");
    }

    @Test
    void updateChangesEtagAndLastModified() throws Exception {
        fake.putJson("/things/1", "{\"v\":1}");
        HttpResponse<byte[]> before = get("/things/1");

        fake.putJson("/things/1", "{\"v\":1}");
        HttpResponse<byte[]> unchanged = get("/things/1");
        fake.putJson("/things/1", "{\"v\":2}");
        HttpResponse<byte[]> after = get("/things/1");

        assertThat(header(unchanged, "ETag")).isEqualTo(header(before, "ETag"));
        assertThat(header(unchanged, "Last-Modified")).isEqualTo(header(before, "Last-Modified"));
        assertThat(header(after, "ETag")).isNotEqualTo(header(before, "ETag"));
        assertThat(header(after, "Last-Modified")).isNotEqualTo(header(before, "Last-Modified"));
    }

    @Test
    void notModifiedIsFreeWithFreshHeaders() throws Exception {
        fake.addIssues("octo/hello", 45);
        HttpResponse<byte[]> first = get("/repos/octo/hello/issues", "Authorization", "token a");
        String etag = header(first, "ETag");
        int spentAfterFirst = fake.unitsSpent("token a");

        HttpResponse<byte[]> revalidated = get("/repos/octo/hello/issues",
                "Authorization", "token a", "If-None-Match", etag);

        assertThat(revalidated.statusCode()).isEqualTo(304);
        assertThat(revalidated.body()).isEmpty();
        assertThat(header(revalidated, "ETag")).isEqualTo(etag);
        assertThat(header(revalidated, "Link")).isEqualTo(header(first, "Link"));
        assertThat(header(revalidated, "Date")).isNotNull();
        assertThat(header(revalidated, "Content-Length")).isNull();
        assertThat(header(revalidated, "X-RateLimit-Limit")).isEqualTo("5000");
        assertThat(header(revalidated, "X-RateLimit-Remaining")).isEqualTo(header(first, "X-RateLimit-Remaining"));
        assertThat(header(revalidated, "X-RateLimit-Used")).isEqualTo("1");
        assertThat(header(revalidated, "X-RateLimit-Reset")).isEqualTo(header(first, "X-RateLimit-Reset"));
        assertThat(header(revalidated, "X-RateLimit-Resource")).isEqualTo("core");
        assertThat(spentAfterFirst).isEqualTo(1);
        assertThat(fake.unitsSpent("token a")).isEqualTo(1);
    }

    @Test
    void unitsDecrementOnlyOnNon304() throws Exception {
        fake.putJson("/things/1", "{}");
        String auth = "token counter";

        HttpResponse<byte[]> first = get("/things/1", "Authorization", auth);
        String etag = header(first, "ETag");
        String lastModified = header(first, "Last-Modified");
        HttpResponse<byte[]> exact = get("/things/1", "Authorization", auth, "If-None-Match", etag);
        HttpResponse<byte[]> weak = get("/things/1", "Authorization", auth, "If-None-Match", "W/" + etag);
        HttpResponse<byte[]> inList = get("/things/1", "Authorization", auth,
                "If-None-Match", "\"other\", " + etag);
        HttpResponse<byte[]> star = get("/things/1", "Authorization", auth, "If-None-Match", "*");
        HttpResponse<byte[]> byDate = get("/things/1", "Authorization", auth, "If-Modified-Since", lastModified);
        HttpResponse<byte[]> stale = get("/things/1", "Authorization", auth, "If-None-Match", "\"stale\"");
        HttpResponse<byte[]> staleWithDate = get("/things/1", "Authorization", auth,
                "If-None-Match", "\"stale\"", "If-Modified-Since", lastModified);
        HttpResponse<byte[]> oldDate = get("/things/1", "Authorization", auth,
                "If-Modified-Since", DateGenerator.formatDate(Instant.parse("2001-01-01T00:00:00Z")));

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(exact.statusCode()).isEqualTo(304);
        assertThat(weak.statusCode()).isEqualTo(304);
        assertThat(inList.statusCode()).isEqualTo(304);
        assertThat(star.statusCode()).isEqualTo(304);
        assertThat(byDate.statusCode()).isEqualTo(304);
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(staleWithDate.statusCode())
                .as("If-Modified-Since is ignored when If-None-Match is present")
                .isEqualTo(200);
        assertThat(oldDate.statusCode()).isEqualTo(200);
        assertThat(fake.unitsSpent(auth)).isEqualTo(4);
        assertThat(header(oldDate, "X-RateLimit-Remaining")).isEqualTo("4996");
        assertThat(header(oldDate, "X-RateLimit-Used")).isEqualTo("4");
        assertThat(fake.remaining(auth)).isEqualTo(4996);
        assertThat(fake.totalUnitsSpent()).isEqualTo(4);
    }

    @Test
    void headSendsHeadersWithoutBody() throws Exception {
        fake.putJson("/things/1", "{\"a\":1}");
        HttpResponse<byte[]> got = get("/things/1");

        HttpResponse<byte[]> head = send(request("/things/1").method("HEAD", HttpRequest.BodyPublishers.noBody()));

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(header(head, "ETag")).isEqualTo(header(got, "ETag"));
        assertThat(header(head, "Content-Length")).isEqualTo("7");
        assertThat(fake.unitsSpent(null)).isEqualTo(2);
    }

    // ---- Contents -----------------------------------------------------------------------------------------------

    @Test
    void contentsReturnJsonByDefault() throws Exception {
        byte[] readme = "# Hello\n".repeat(20).getBytes(StandardCharsets.UTF_8);
        fake.putContent("octo/hello", "docs/README.md", readme);

        HttpResponse<byte[]> response = get("/repos/octo/hello/contents/docs/README.md");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo("application/json; charset=utf-8");
        JsonNode json = JSON.readTree(response.body());
        assertThat(json.get("encoding").asText()).isEqualTo("base64");
        assertThat(Base64.getMimeDecoder().decode(json.get("content").asText())).isEqualTo(readme);
        assertThat(json.get("size").asInt()).isEqualTo(readme.length);
        assertThat(json.get("name").asText()).isEqualTo("README.md");
        assertThat(json.get("path").asText()).isEqualTo("docs/README.md");
        assertThat(json.get("sha").asText()).hasSize(40);
        assertThat(json.get("url").asText()).startsWith(fake.baseUrl() + "/repos/octo/hello/contents/docs/README.md");

        HttpResponse<byte[]> download = send(HttpRequest.newBuilder(URI.create(json.get("download_url").asText())));
        assertThat(download.body()).isEqualTo(readme);
    }

    @Test
    void contentsReturnRawForRawAccept() throws Exception {
        byte[] binary = {0, 1, 2, (byte) 0xff, 10};
        fake.putContent("octo/hello", "bin/data.bin", binary);

        HttpResponse<byte[]> json = get("/repos/octo/hello/contents/bin/data.bin");
        HttpResponse<byte[]> raw = get("/repos/octo/hello/contents/bin/data.bin",
                "Accept", "application/vnd.github.raw");
        HttpResponse<byte[]> v3Raw = get("/repos/octo/hello/contents/bin/data.bin?ref=main",
                "Accept", "application/vnd.github.v3.raw");

        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.body()).isEqualTo(binary);
        assertThat(header(raw, "Content-Type")).isEqualTo("application/vnd.github.raw");
        assertThat(v3Raw.body()).isEqualTo(binary);
        assertThat(List.of(header(json, "ETag"), header(raw, "ETag"), header(v3Raw, "ETag"))).doesNotHaveDuplicates();
    }

    // ---- Pagination ---------------------------------------------------------------------------------------------

    @Test
    void issuesPageWithDefaultPerPage() throws Exception {
        fake.addIssues("octo/hello", 75);
        String list = fake.baseUrl() + "/repos/octo/hello/issues";

        HttpResponse<byte[]> page1 = get("/repos/octo/hello/issues");
        HttpResponse<byte[]> page2 = get("/repos/octo/hello/issues?page=2");
        HttpResponse<byte[]> page3 = get("/repos/octo/hello/issues?page=3");

        assertThat(issueNumbers(page1)).hasSize(30).startsWith(1).endsWith(30);
        assertThat(issueNumbers(page2)).hasSize(30).startsWith(31).endsWith(60);
        assertThat(issueNumbers(page3)).hasSize(15).startsWith(61).endsWith(75);
        assertThat(header(page1, "Link"))
                .isEqualTo("<" + list + "?page=2>; rel=\"next\", <" + list + "?page=3>; rel=\"last\"");
        assertThat(header(page2, "Link")).isEqualTo("<" + list + "?page=1>; rel=\"prev\", <" + list
                + "?page=3>; rel=\"next\", <" + list + "?page=3>; rel=\"last\", <" + list + "?page=1>; rel=\"first\"");
        assertThat(header(page3, "Link"))
                .isEqualTo("<" + list + "?page=2>; rel=\"prev\", <" + list + "?page=1>; rel=\"first\"");

        JsonNode first = JSON.readTree(page1.body()).get(0);
        assertThat(first.get("url").asText()).isEqualTo(list + "/1");
        assertThat(first.get("title").asText()).isEqualTo("Issue 1");
    }

    @Test
    void issuesPageWithExplicitPerPage() throws Exception {
        fake.addIssues("octo/hello", 25);
        fake.addIssues("octo/big", 150);
        String list = fake.baseUrl() + "/repos/octo/hello/issues";

        HttpResponse<byte[]> page = get("/repos/octo/hello/issues?state=all&per_page=10&page=2");
        HttpResponse<byte[]> capped = get("/repos/octo/big/issues?per_page=500");
        HttpResponse<byte[]> single = get("/repos/octo/hello/issues?per_page=100");
        HttpResponse<byte[]> beyond = get("/repos/octo/hello/issues?per_page=10&page=9");

        assertThat(issueNumbers(page)).containsExactly(11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
        assertThat(header(page, "Link")).isEqualTo(
                "<" + list + "?state=all&per_page=10&page=1>; rel=\"prev\", "
                        + "<" + list + "?state=all&per_page=10&page=3>; rel=\"next\", "
                        + "<" + list + "?state=all&per_page=10&page=3>; rel=\"last\", "
                        + "<" + list + "?state=all&per_page=10&page=1>; rel=\"first\"");
        assertThat(issueNumbers(capped)).hasSize(100);
        assertThat(header(capped, "Link")).contains("per_page=500&page=2>; rel=\"next\"");
        assertThat(issueNumbers(single)).hasSize(25);
        assertThat(header(single, "Link")).isNull();
        assertThat(issueNumbers(beyond)).isEmpty();
    }

    @Test
    void appendPastFullLastPageKeepsEtag() throws Exception {
        fake.addIssues("octo/hello", 20);
        String list = fake.baseUrl() + "/repos/octo/hello/issues";
        HttpResponse<byte[]> lastPage = get("/repos/octo/hello/issues?per_page=10&page=2");
        assertThat(header(lastPage, "Link")).doesNotContain("rel=\"next\"");

        int added = fake.addIssue("octo/hello", "Late issue");
        HttpResponse<byte[]> revalidated = get("/repos/octo/hello/issues?per_page=10&page=2",
                "If-None-Match", header(lastPage, "ETag"));
        HttpResponse<byte[]> byDate = get("/repos/octo/hello/issues?per_page=10&page=2",
                "If-Modified-Since", header(lastPage, "Last-Modified"));
        HttpResponse<byte[]> newPage = get("/repos/octo/hello/issues?per_page=10&page=3");

        assertThat(added).isEqualTo(21);
        assertThat(revalidated.statusCode()).isEqualTo(304);
        assertThat(header(revalidated, "ETag")).isEqualTo(header(lastPage, "ETag"));
        assertThat(header(revalidated, "Link")).isEqualTo("<" + list + "?per_page=10&page=1>; rel=\"prev\", "
                + "<" + list + "?per_page=10&page=3>; rel=\"next\", "
                + "<" + list + "?per_page=10&page=3>; rel=\"last\", "
                + "<" + list + "?per_page=10&page=1>; rel=\"first\"");
        assertThat(byDate.statusCode()).isEqualTo(304);
        assertThat(issueNumbers(newPage)).containsExactly(21);
    }

    @Test
    void appendToPartialLastPageChangesIt() throws Exception {
        fake.addIssues("octo/hello", 15);
        HttpResponse<byte[]> before = get("/repos/octo/hello/issues?per_page=10&page=2");

        fake.addIssue("octo/hello", "Another");
        HttpResponse<byte[]> after = get("/repos/octo/hello/issues?per_page=10&page=2",
                "If-None-Match", header(before, "ETag"));
        HttpResponse<byte[]> afterByDate = get("/repos/octo/hello/issues?per_page=10&page=2",
                "If-Modified-Since", header(before, "Last-Modified"));

        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(issueNumbers(after)).hasSize(6).endsWith(16);
        assertThat(afterByDate.statusCode()).isEqualTo(200);
    }

    @Test
    void issueListOfUnknownRepositoryIsNotFound() throws Exception {
        HttpResponse<byte[]> response = get("/repos/nobody/nothing/issues");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(response.body()).get("message").asText()).isEqualTo("Not Found");
    }

    // ---- Access control and users -------------------------------------------------------------------------------

    @Test
    void privateResourceIsNotFoundForOthers() throws Exception {
        fake.putPrivate("/secret", "{\"s\":1}", "token owner");

        HttpResponse<byte[]> owner = get("/secret", "Authorization", "token owner");
        HttpResponse<byte[]> ownerAsBearer = get("/secret", "Authorization", "Bearer owner");
        HttpResponse<byte[]> other = get("/secret", "Authorization", "token other");
        HttpResponse<byte[]> anonymous = get("/secret");

        assertThat(owner.statusCode()).isEqualTo(200);
        assertThat(ownerAsBearer.statusCode()).isEqualTo(200);
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(anonymous.statusCode()).isEqualTo(404);
        JsonNode error = JSON.readTree(other.body());
        assertThat(error.get("message").asText()).isEqualTo("Not Found");
        assertThat(error.get("documentation_url").asText()).startsWith("https://docs.github.com/");
    }

    @Test
    void privateRepositoryHidesIssuesAndContents() throws Exception {
        fake.addPrivateRepository("corp/internal", "token insider");
        fake.addIssues("corp/internal", 3);
        fake.putContent("corp/internal", "a.txt", "secret");

        HttpResponse<byte[]> insider = get("/repos/corp/internal", "Authorization", "token insider");

        assertThat(insider.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(insider.body()).get("private").asBoolean()).isTrue();
        for (String path : List.of("/repos/corp/internal", "/repos/corp/internal/issues",
                "/repos/corp/internal/issues/1", "/repos/corp/internal/contents/a.txt")) {
            assertThat(get(path, "Authorization", "token outsider").statusCode()).as(path).isEqualTo(404);
            assertThat(get(path, "Authorization", "token insider").statusCode()).as(path).isEqualTo(200);
        }
    }

    @Test
    void userEndpointResolvesTokens() throws Exception {
        long id = fake.addUser("t-octo", "octocat");

        HttpResponse<byte[]> withToken = get("/user", "Authorization", "token t-octo");
        HttpResponse<byte[]> withBearer = get("/user", "Authorization", "Bearer t-octo");
        HttpResponse<byte[]> unknown = get("/user", "Authorization", "token nope");
        HttpResponse<byte[]> anonymous = get("/user");

        JsonNode user = JSON.readTree(withToken.body());
        assertThat(withToken.statusCode()).isEqualTo(200);
        assertThat(user.get("login").asText()).isEqualTo("octocat");
        assertThat(user.get("id").asLong()).isEqualTo(id);
        assertThat(user.get("type").asText()).isEqualTo("User");
        assertThat(user.get("url").asText()).isEqualTo(fake.baseUrl() + "/users/octocat");
        assertThat(withBearer.statusCode()).isEqualTo(200);
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(unknown.body()).get("message").asText()).isEqualTo("Bad credentials");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(anonymous.body()).get("message").asText()).isEqualTo("Requires authentication");
    }

    @Test
    void unknownTokensRejectedWhenEnabled() throws Exception {
        fake.putJson("/things/1", "{}");
        fake.addUser("good", "octocat");
        fake.setRejectUnknownTokens(true);

        assertThat(get("/things/1", "Authorization", "token good").statusCode()).isEqualTo(200);
        assertThat(get("/things/1", "Authorization", "token bad").statusCode()).isEqualTo(401);
        assertThat(get("/things/1").statusCode()).isEqualTo(200);
    }

    @Test
    void repositoryJsonHasAbsoluteUrls() throws Exception {
        fake.addRepository("octo/hello");

        JsonNode repo = JSON.readTree(get("/repos/octo/hello").body());

        assertThat(repo.get("full_name").asText()).isEqualTo("octo/hello");
        assertThat(repo.get("name").asText()).isEqualTo("hello");
        assertThat(repo.get("private").asBoolean()).isFalse();
        assertThat(repo.get("url").asText()).isEqualTo(fake.baseUrl() + "/repos/octo/hello");
        assertThat(repo.get("issues_url").asText()).isEqualTo(fake.baseUrl() + "/repos/octo/hello/issues{/number}");
        assertThat(repo.get("html_url").asText()).isEqualTo("https://github.com/octo/hello");
        assertThat(repo.get("default_branch").asText()).isEqualTo("main");
        assertThat(repo.get("owner").get("login").asText()).isEqualTo("octo");
        assertThat(repo.get("owner").get("url").asText()).isEqualTo(fake.baseUrl() + "/users/octo");
        assertThatThrownBy(() -> fake.addRepository("octo/hello")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rootAndUnknownPaths() throws Exception {
        HttpResponse<byte[]> root = get("/");
        HttpResponse<byte[]> unknown = get("/no/such/thing");

        assertThat(root.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(root.body()).get("current_user_url").asText()).isEqualTo(fake.baseUrl() + "/user");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).get("message").asText()).isEqualTo("Not Found");
    }

    // ---- Rate limiting ------------------------------------------------------------------------------------------

    @Test
    void exhaustedBucketReturns403() throws Exception {
        fake.putJson("/things/1", "{}");
        fake.addUser("limited", "octocat");
        fake.setRemaining("token limited", 1);

        HttpResponse<byte[]> last = get("/things/1", "Authorization", "token limited");
        HttpResponse<byte[]> rejected = get("/things/1", "Authorization", "token limited");
        HttpResponse<byte[]> otherToken = get("/things/1", "Authorization", "token other");

        assertThat(last.statusCode()).isEqualTo(200);
        assertThat(header(last, "X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(rejected.statusCode()).isEqualTo(403);
        assertThat(header(rejected, "X-RateLimit-Remaining")).isEqualTo("0");
        JsonNode error = JSON.readTree(rejected.body());
        assertThat(error.get("message").asText()).startsWith("API rate limit exceeded for user ID");
        assertThat(error.get("documentation_url").asText())
                .isEqualTo("https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting");
        assertThat(otherToken.statusCode()).isEqualTo(200);
        assertThat(fake.unitsSpent("token limited")).isEqualTo(1);
    }

    @Test
    void anonymousBucketHasSixtyUnits() throws Exception {
        fake.putJson("/things/1", "{}");

        HttpResponse<byte[]> first = get("/things/1");
        fake.setRemaining(null, 0);
        HttpResponse<byte[]> rejected = get("/things/1");

        assertThat(header(first, "X-RateLimit-Limit")).isEqualTo("60");
        assertThat(header(first, "X-RateLimit-Remaining")).isEqualTo("59");
        assertThat(rejected.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(rejected.body()).get("message").asText())
                .startsWith("API rate limit exceeded for 127.0.0.1.");
    }

    @Test
    void rateLimitEndpointSpendsNothing() throws Exception {
        fake.setRateLimit("token r", 100);

        HttpResponse<byte[]> response = get("/rate_limit", "Authorization", "token r");
        get("/rate_limit", "Authorization", "token r");

        JsonNode core = JSON.readTree(response.body()).get("resources").get("core");
        assertThat(core.get("limit").asInt()).isEqualTo(100);
        assertThat(core.get("remaining").asInt()).isEqualTo(100);
        assertThat(fake.unitsSpent("token r")).isZero();
    }

    @Test
    void expiredWindowRefillsBucket() throws Exception {
        fake.putJson("/things/1", "{}");
        fake.setRemaining("token w", 0);
        fake.setRateLimitReset("token w", Instant.now().minusSeconds(1));

        HttpResponse<byte[]> response = get("/things/1", "Authorization", "token w");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "X-RateLimit-Remaining")).isEqualTo("4999");
        assertThat(Long.parseLong(header(response, "X-RateLimit-Reset")))
                .isGreaterThan(Instant.now().getEpochSecond());
    }

    // ---- Fault injection ----------------------------------------------------------------------------------------

    @Test
    void failNextHitsOneRequest() throws Exception {
        fake.putJson("/things/1", "{}");
        InjectedFault fault = fake.failNext(502, "{\"message\":\"Server Error\"}", Map.of("X-Test", "yes"));

        HttpResponse<byte[]> failed = get("/things/1");
        HttpResponse<byte[]> next = get("/things/1");

        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(header(failed, "X-Test")).isEqualTo("yes");
        assertThat(new String(failed.body(), StandardCharsets.UTF_8)).isEqualTo("{\"message\":\"Server Error\"}");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(fault.firedCount()).isEqualTo(1);
        assertThat(fault.isDone()).isTrue();
        assertThat(fake.faultsFired()).isEqualTo(1);
        assertThat(fake.unitsSpent(null)).as("a fault spends no unit").isEqualTo(1);
    }

    @Test
    void faultOnPathHitsOnlyThatPath() throws Exception {
        fake.putJson("/a", "{}");
        fake.putJson("/b", "{}");
        InjectedFault fault = fake.inject(Fault.serverError(503).times(2).onPath("/b"));

        assertThat(get("/a").statusCode()).isEqualTo(200);
        assertThat(get("/b").statusCode()).isEqualTo(503);
        assertThat(get("/b?x=1").statusCode()).isEqualTo(503);
        assertThat(get("/b").statusCode()).isEqualTo(200);
        assertThat(fault.firedCount()).isEqualTo(2);
    }

    @Test
    void faultUntilClearedKeepsFiring() throws Exception {
        fake.putJson("/repos/o/r", "{}");
        InjectedFault fault = fake.inject(Fault.serverError(500).untilCleared().onPathPrefix("/repos/"));

        for (int i = 0; i < 3; i++) {
            assertThat(get("/repos/o/r").statusCode()).isEqualTo(500);
        }
        fake.clearFaults();

        assertThat(get("/repos/o/r").statusCode()).isEqualTo(200);
        assertThat(fault.firedCount()).isEqualTo(3);
        assertThat(fault.isDone()).isTrue();
    }

    @Test
    void rateLimitFaultsLookLikeGitHub() throws Exception {
        fake.putJson("/things/1", "{}");
        fake.inject(Fault.secondaryRateLimit());
        fake.inject(Fault.primaryRateLimit());

        HttpResponse<byte[]> secondary = get("/things/1");
        HttpResponse<byte[]> primary = get("/things/1");

        assertThat(secondary.statusCode()).isEqualTo(403);
        assertThat(header(secondary, "Retry-After")).isEqualTo("60");
        assertThat(JSON.readTree(secondary.body()).get("message").asText())
                .startsWith("You have exceeded a secondary rate limit");
        assertThat(primary.statusCode()).isEqualTo(403);
        assertThat(header(primary, "X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(JSON.readTree(primary.body()).get("message").asText()).startsWith("API rate limit exceeded");
    }

    @Test
    void delayNextDelaysResponse() throws Exception {
        fake.putJson("/things/1", "{}");
        fake.delayNext(Duration.ofMillis(300));

        long start = System.nanoTime();
        HttpResponse<byte[]> response = get("/things/1");
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void delayLongerThanClientTimeoutTimesOut() throws Exception {
        fake.putJson("/things/1", "{}");
        fake.delayNext(Duration.ofMinutes(5));

        HttpRequest.Builder slow = request("/things/1").timeout(Duration.ofMillis(200));

        assertThatThrownBy(() -> send(slow)).isInstanceOf(HttpTimeoutException.class);
        assertThat(fake.awaitRequests(1, TIMEOUT)).isTrue();
    }

    @Test
    void closeEndsPendingDelayQuickly() throws Exception {
        fake.delayNext(Duration.ofMinutes(5));
        // A POST, because the JDK client retries a GET on a closed connection and the retry can
        // reach the connector before it stops, which makes the outcome depend on timing.
        CompletableFuture<HttpResponse<byte[]>> pending = client.sendAsync(
                request("/echo/slow").POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(fake.awaitRequests(1, TIMEOUT)).isTrue();

        long start = System.nanoTime();
        fake.close();
        Duration closeTime = Duration.ofNanos(System.nanoTime() - start);

        assertThat(closeTime).isLessThan(Duration.ofSeconds(5));
        assertThatThrownBy(() -> pending.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                .hasCauseInstanceOf(IOException.class);
    }

    @Test
    void dropNextClosesConnection() throws Exception {
        InjectedFault fault = fake.dropNext();
        HttpRequest.Builder post = request("/echo/drop").POST(HttpRequest.BodyPublishers.ofString("x"));

        assertThatThrownBy(() -> send(post)).isInstanceOf(IOException.class);
        assertThat(send(post).statusCode()).isEqualTo(201);
        assertThat(fault.firedCount()).isEqualTo(1);
    }

    @Test
    void dropDefeatsClientRetry() throws Exception {
        // java.net.http.HttpClient retries an idempotent request once when the connection closes before the
        // response, so a single drop would go unseen with a GET.
        fake.putJson("/things/1", "{}");
        InjectedFault fault = fake.inject(Fault.drop().untilCleared());

        assertThatThrownBy(() -> get("/things/1")).isInstanceOf(IOException.class);
        fake.clearFaults();

        assertThat(get("/things/1").statusCode()).isEqualTo(200);
        assertThat(fault.firedCount()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void offlineReturns503() throws Exception {
        fake.putJson("/things/1", "{}");
        fake.setOffline(true);

        HttpResponse<byte[]> offline = get("/things/1");
        fake.setOffline(false);
        HttpResponse<byte[]> online = get("/things/1");

        assertThat(offline.statusCode()).isEqualTo(503);
        assertThat(online.statusCode()).isEqualTo(200);
    }

    // ---- Encoding and large bodies ------------------------------------------------------------------------------

    @Test
    void gzipWhenAccepted() throws Exception {
        String body = "{\"text\":\"" + "abc".repeat(1000) + "\"}";
        fake.putJson("/things/1", body);

        HttpResponse<byte[]> plain = get("/things/1");
        HttpResponse<byte[]> compressed = get("/things/1", "Accept-Encoding", "gzip, deflate");
        HttpResponse<byte[]> zeroQuality = get("/things/1", "Accept-Encoding", "gzip;q=0");

        assertThat(header(plain, "Content-Encoding")).isNull();
        assertThat(header(compressed, "Content-Encoding")).isEqualTo("gzip");
        assertThat(compressed.body().length).isLessThan(body.length());
        assertThat(gunzip(compressed.body())).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(header(compressed, "ETag")).isEqualTo(header(plain, "ETag"));
        assertThat(header(zeroQuality, "Content-Encoding")).isNull();
    }

    @Test
    void largeBinaryRoundTrips() throws Exception {
        byte[] large = new byte[5 * 1024 * 1024];
        new Random(42).nextBytes(large);
        fake.putRaw("/blobs/large", large, "application/octet-stream");

        HttpResponse<byte[]> response = get("/blobs/large");
        fake.setChunkedResponses(true);
        HttpResponse<byte[]> chunked = get("/blobs/large");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo("application/octet-stream");
        assertThat(header(response, "Content-Length")).isEqualTo(Integer.toString(large.length));
        assertThat(response.body()).isEqualTo(large);
        assertThat(header(chunked, "Content-Length")).isNull();
        assertThat(header(chunked, "Transfer-Encoding")).isEqualTo("chunked");
        assertThat(chunked.body()).isEqualTo(large);
    }

    // ---- Write requests and recording ---------------------------------------------------------------------------

    @Test
    void writesAreEchoed() throws Exception {
        HttpResponse<byte[]> created = send(request("/repos/o/r/issues")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"x\"}")));
        HttpResponse<byte[]> chunkedBody = send(request("/echo/upload?kind=stream")
                .header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream("streamed body".getBytes(StandardCharsets.UTF_8)))));
        HttpResponse<byte[]> graphql = send(request("/graphql")
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"{viewer{login}}\"}")));

        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode echo = JSON.readTree(created.body());
        assertThat(echo.get("method").asText()).isEqualTo("POST");
        assertThat(echo.get("path").asText()).isEqualTo("/repos/o/r/issues");
        assertThat(echo.get("body").asText()).isEqualTo("{\"title\":\"x\"}");
        assertThat(echo.get("content_type").asText()).isEqualTo("application/json");
        assertThat(chunkedBody.statusCode()).isEqualTo(201);
        assertThat(JSON.readTree(chunkedBody.body()).get("body").asText()).isEqualTo("streamed body");
        assertThat(fake.requests().get(1).header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(graphql.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(graphql.body()).get("body").asText()).contains("viewer");
    }

    @Test
    void requestsAreRecordedRaw() throws Exception {
        get("/search/issues?q=a%20b+c&per_page=5", "Accept", "application/json", "Authorization", "token rec");
        send(request("/echo/x%2Fy").header("X-Multi", "one").header("X-Multi", "two")
                .POST(HttpRequest.BodyPublishers.ofString("payload")));

        List<RecordedRequest> requests = fake.requests();
        assertThat(fake.requestCount()).isEqualTo(2);
        RecordedRequest search = requests.get(0);
        assertThat(search.method()).isEqualTo("GET");
        assertThat(search.target()).isEqualTo("/search/issues?q=a%20b+c&per_page=5");
        assertThat(search.path()).isEqualTo("/search/issues");
        assertThat(search.query()).isEqualTo("q=a%20b+c&per_page=5");
        assertThat(search.header("authorization")).isEqualTo("token rec");
        assertThat(search.time()).isBeforeOrEqualTo(Instant.now());
        RecordedRequest post = requests.get(1);
        assertThat(post.target()).isEqualTo("/echo/x%2Fy");
        assertThat(post.headerValues("x-multi")).containsExactly("one", "two");
        assertThat(post.bodyAsString()).isEqualTo("payload");

        fake.clearRequests();
        assertThat(fake.requests()).isEmpty();
    }

    @Test
    void awaitRequestsSeesConcurrentRequests() throws Exception {
        fake.putJson("/things/1", "{}");
        List<CompletableFuture<HttpResponse<byte[]>>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            futures.add(client.sendAsync(request("/things/1").header("Authorization", "token c" + (i % 4)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }

        assertThat(fake.awaitRequests(20, TIMEOUT)).isTrue();
        for (CompletableFuture<HttpResponse<byte[]>> future : futures) {
            assertThat(future.get(TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).statusCode())
                    .isEqualTo(200);
        }
        assertThat(fake.totalUnitsSpent()).isEqualTo(20);
        assertThat(fake.unitsSpent("token c0")).isEqualTo(5);
        assertThat(fake.awaitRequests(21, Duration.ofMillis(50))).isFalse();
    }

    // ---- GitHub Enterprise Server prefix ------------------------------------------------------------------------

    @Test
    void enterprisePrefixHostsApi() throws Exception {
        try (FakeGitHub enterprise = FakeGitHub.start("/api/v3")) {
            enterprise.addRepository("corp/tool");
            String base = enterprise.baseUrl();

            HttpResponse<byte[]> repo = send(HttpRequest.newBuilder(URI.create(base + "/repos/corp/tool")));
            HttpResponse<byte[]> root = send(HttpRequest.newBuilder(URI.create(base + "/")));
            HttpResponse<byte[]> outside = send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + enterprise.port() + "/repos/corp/tool")));

            assertThat(base).isEqualTo("http://127.0.0.1:" + enterprise.port() + "/api/v3");
            assertThat(repo.statusCode()).isEqualTo(200);
            JsonNode json = JSON.readTree(repo.body());
            assertThat(json.get("url").asText()).isEqualTo(base + "/repos/corp/tool");
            assertThat(json.get("html_url").asText())
                    .isEqualTo("http://127.0.0.1:" + enterprise.port() + "/corp/tool");
            assertThat(root.statusCode()).isEqualTo(200);
            assertThat(outside.statusCode()).isEqualTo(404);
            assertThat(enterprise.requests().get(0).target()).isEqualTo("/api/v3/repos/corp/tool");
        }
    }

    // ---- org.kohsuke:github-api client --------------------------------------------------------------------------

    @Test
    void githubApiClientReadsFake() throws Exception {
        fake.addUser("t", "octocat");
        fake.addRepository("octo/hello");
        fake.addIssues("octo/hello", 25);
        fake.putContent("octo/hello", "README.md", "Hello from the fake\n");
        GitHub github = new GitHubBuilder().withEndpoint(fake.baseUrl()).withOAuthToken("t").build();

        GHMyself myself = github.getMyself();
        GHRepository repository = github.getRepository("octo/hello");
        List<GHIssue> issues = repository.queryIssues().state(GHIssueState.ALL).pageSize(10).list().toList();
        String readme;
        try (InputStream in = repository.getFileContent("README.md").read()) {
            readme = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }

        assertThat(myself.getLogin()).isEqualTo("octocat");
        assertThat(repository.getFullName()).isEqualTo("octo/hello");
        assertThat(repository.getOwnerName()).isEqualTo("octo");
        assertThat(repository.getDefaultBranch()).isEqualTo("main");
        assertThat(issues).hasSize(25);
        assertThat(issues.get(24).getNumber()).isEqualTo(25);
        assertThat(readme).isEqualTo("Hello from the fake\n");
        assertThat(fake.requests()).allSatisfy(
                request -> assertThat(request.header("Authorization")).isEqualTo("token t"));
    }

    @Test
    void githubApiClientReadsEnterpriseFake() throws Exception {
        try (FakeGitHub enterprise = FakeGitHub.start("/api/v3")) {
            enterprise.addUser("t", "octocat");
            enterprise.addRepository("corp/tool");
            GitHub github = new GitHubBuilder().withEndpoint(enterprise.baseUrl()).withOAuthToken("t").build();

            assertThat(github.getMyself().getLogin()).isEqualTo("octocat");
            assertThat(github.getRepository("corp/tool").getFullName()).isEqualTo("corp/tool");
        }
    }

    // ---- Helpers ------------------------------------------------------------------------------------------------

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(fake.uri(pathAndQuery)).timeout(TIMEOUT);
    }

    /** Sends a GET with header name and value pairs. */
    private HttpResponse<byte[]> get(String pathAndQuery, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder builder = request(pathAndQuery).GET();
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return send(builder);
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder builder) throws IOException, InterruptedException {
        return client.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    private static List<Integer> issueNumbers(HttpResponse<byte[]> response) throws IOException {
        List<Integer> numbers = new ArrayList<>();
        for (JsonNode issue : JSON.readTree(response.body())) {
            numbers.add(issue.get("number").asInt());
        }
        return numbers;
    }

    private static String sha256Hex(String input) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(input.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest);
    }

    private static byte[] gunzip(byte[] compressed) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }
}
