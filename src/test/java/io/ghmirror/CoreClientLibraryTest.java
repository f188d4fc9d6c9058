package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kohsuke.github.GHIssue;
import org.kohsuke.github.GHIssueState;
import org.kohsuke.github.GHRepository;
import org.kohsuke.github.GitHub;
import org.kohsuke.github.GitHubBuilder;

/** The hub4j (org.kohsuke) github-api client, configured with the mirror as its endpoint, works unchanged. */
class CoreClientLibraryTest {

    private static final String TOKEN = "ghp_ClientLibraryToken";

    private FakeGitHub github;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        github.addUser(TOKEN, "octocat");
        github.addRepository("octocat/hello");
        github.addIssues("octocat/hello", 75);
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
    void readsRepositoryUserAndIssues() throws Exception {
        Snapshot snapshot = readThroughMirror();

        assertThat(snapshot.repositoryName()).isEqualTo("octocat/hello");
        assertThat(snapshot.repositoryUrl()).isEqualTo(mirror.baseUrl() + "/repos/octocat/hello");
        assertThat(snapshot.login()).isEqualTo("octocat");
        assertThat(snapshot.issueNumbers()).containsExactlyInAnyOrderElementsOf(
                IntStream.rangeClosed(1, 75).boxed().toList());
        assertThat(github.requests()).allSatisfy(request ->
                assertThat(request.header("Authorization")).isEqualTo("token " + TOKEN));
    }

    @Test
    void secondRunServedByHits() throws Exception {
        Snapshot first = readThroughMirror();
        int unitsAfterFirst = github.unitsSpent("token " + TOKEN);
        github.clearRequests();

        Snapshot second = readThroughMirror();

        assertThat(second).isEqualTo(first);
        assertThat(unitsAfterFirst).isPositive();
        assertThat(github.unitsSpent("token " + TOKEN)).isEqualTo(unitsAfterFirst);
        assertThat(github.requests()).isNotEmpty().allSatisfy(request ->
                assertThat(request.header("If-None-Match")).as("validator of %s", request).isNotNull());
    }

    @Test
    void jdkHttp2ClientWorks() throws Exception {
        // The JDK client defaults to HTTP/2, which on http:// starts with an h2c upgrade request.
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> read = client.send(HttpRequest.newBuilder(
                                URI.create(mirror.baseUrl() + "/repos/octocat/hello"))
                        .header("Authorization", "token " + TOKEN)
                        .timeout(Duration.ofSeconds(20))
                        .build(), HttpResponse.BodyHandlers.ofString());

                assertThat(read.statusCode()).as("GET number %d", i + 1).isEqualTo(200);
                assertThat(read.body()).contains(mirror.baseUrl() + "/repos/octocat/hello");
            }
            HttpResponse<String> write = client.send(HttpRequest.newBuilder(
                            URI.create(mirror.baseUrl() + "/repos/octocat/hello/issues"))
                    .header("Authorization", "token " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"h2\"}"))
                    .timeout(Duration.ofSeconds(20))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(write.statusCode()).isEqualTo(201);
            assertThat(github.requests().getLast().bodyAsString()).isEqualTo("{\"title\":\"h2\"}");
        }
    }

    /** What one run of the client reads. */
    private record Snapshot(String repositoryName, String repositoryUrl, String login, List<Integer> issueNumbers) {}

    /** Reads the repository, the authenticated user and all open issues with a new client instance. */
    private Snapshot readThroughMirror() throws Exception {
        GitHub client = new GitHubBuilder()
                .withEndpoint(mirror.baseUrl())
                .withOAuthToken(TOKEN)
                .build();
        GHRepository repository = client.getRepository("octocat/hello");
        String login = client.getMyself().getLogin();
        List<GHIssue> issues = repository.listIssues(GHIssueState.OPEN).withPageSize(30).toList();
        return new Snapshot(repository.getFullName(), repository.getUrl().toString(), login,
                issues.stream().map(GHIssue::getNumber).toList());
    }
}
