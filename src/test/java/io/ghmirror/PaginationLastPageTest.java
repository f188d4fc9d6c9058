package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.fake.RecordedRequest;
import io.ghmirror.support.MirrorHarness;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A cached list page that is full and has no {@code next} link may hide a page added since. Its
 * body is unchanged, so GitHub returns 304 for it. The client must still learn about the new page.
 */
class PaginationLastPageTest {

    private static final String TOKEN = "token pagination-test";
    private static final String REPOSITORY = "octo/list";
    private static final String ISSUES = "/repos/octo/list/issues";
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");

    private FakeGitHub github;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        mirror = MirrorHarness.start(github.baseUrl());
    }

    @AfterEach
    void stop() {
        mirror.close();
        github.close();
    }

    @Test
    void defaultSizeFullPageShowsNewPage() throws Exception {
        github.addIssues(REPOSITORY, 30);
        HttpResponse<byte[]> cached = mirror.get(ISSUES, "Authorization", TOKEN);
        assertThat(nextLink(cached)).isEmpty();
        github.addIssue(REPOSITORY, "Added after caching");

        HttpResponse<byte[]> again = mirror.get(ISSUES, "Authorization", TOKEN);

        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(nextLink(again)).hasValueSatisfying(next -> assertThat(next).startsWith(mirror.baseUrl()));
        HttpResponse<byte[]> nextPage = follow(nextLink(again).orElseThrow());
        assertThat(nextPage.statusCode()).isEqualTo(200);
        assertThat(body(nextPage)).contains("Added after caching");
    }

    @Test
    void explicitSizeFullPageShowsNewPage() throws Exception {
        github.addIssues(REPOSITORY, 10);
        HttpResponse<byte[]> cached = mirror.get(ISSUES + "?per_page=10", "Authorization", TOKEN);
        assertThat(nextLink(cached)).isEmpty();
        github.addIssue(REPOSITORY, "Added after caching");

        HttpResponse<byte[]> again = mirror.get(ISSUES + "?per_page=10", "Authorization", TOKEN);

        assertThat(nextLink(again)).hasValueSatisfying(next -> assertThat(next).contains("per_page=10"));
        HttpResponse<byte[]> nextPage = follow(nextLink(again).orElseThrow());
        assertThat(body(nextPage)).contains("Added after caching");
    }

    @Test
    void partialLastPageIsPlainHit() throws Exception {
        github.addIssues(REPOSITORY, 5);
        mirror.get(ISSUES, "Authorization", TOKEN);
        github.clearRequests();

        HttpResponse<byte[]> again = mirror.get(ISSUES, "Authorization", TOKEN);

        assertThat(again.headers().firstValue("X-Cache")).hasValue("HIT");
        List<RecordedRequest> requests = github.requests();
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).header("If-None-Match")).isNotNull();
    }

    @Test
    void singleObjectIsNotRefetched() throws Exception {
        github.addRepository(REPOSITORY);
        mirror.get("/repos/octo/list", "Authorization", TOKEN);
        github.clearRequests();

        HttpResponse<byte[]> again = mirror.get("/repos/octo/list", "Authorization", TOKEN);

        assertThat(again.headers().firstValue("X-Cache")).hasValue("HIT");
        List<RecordedRequest> requests = github.requests();
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).header("If-None-Match")).isNotNull();
    }

    @Test
    void unchangedFullPageIsRefetched() throws Exception {
        github.addIssues(REPOSITORY, 30);
        HttpResponse<byte[]> cached = mirror.get(ISSUES, "Authorization", TOKEN);
        github.clearRequests();

        HttpResponse<byte[]> again = mirror.get(ISSUES, "Authorization", TOKEN);

        // The 304 cannot prove that no page was added, so the page is fetched again without a validator.
        List<RecordedRequest> requests = github.requests();
        assertThat(requests).hasSize(2);
        assertThat(requests.get(0).header("If-None-Match")).isNotNull();
        assertThat(requests.get(1).header("If-None-Match")).isNull();
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(cached.body());
        assertThat(nextLink(again)).isEmpty();
    }

    private HttpResponse<byte[]> follow(String url) throws Exception {
        assertThat(url).startsWith(mirror.baseUrl());
        return mirror.get(url.substring(mirror.baseUrl().length()), "Authorization", TOKEN);
    }

    private static Optional<String> nextLink(HttpResponse<byte[]> response) {
        for (String link : response.headers().allValues("Link")) {
            Matcher matcher = NEXT.matcher(link);
            if (matcher.find()) {
                return Optional.of(matcher.group(1));
            }
        }
        return Optional.empty();
    }

    private static String body(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
