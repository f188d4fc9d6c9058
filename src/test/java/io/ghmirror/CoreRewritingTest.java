package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rewriting of upstream URLs in Link, Location and JSON bodies to the mirror's URL, and of nothing else. */
class CoreRewritingTest {

    private static final String TOKEN = "token rewriting";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");

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
    void nextLinksStayOnMirror() throws Exception {
        github.addIssues("octo/hello", 75);
        List<Integer> numbers = new ArrayList<>();
        List<String> visited = new ArrayList<>();

        String next = mirror.baseUrl() + "/repos/octo/hello/issues?per_page=30";
        for (int page = 0; next != null && page < 10; page++) {
            assertThat(next).as("next link").startsWith(mirror.baseUrl() + "/");
            visited.add(next);
            HttpResponse<byte[]> response = mirror.get(next.substring(mirror.baseUrl().length()),
                    "Authorization", TOKEN);
            assertThat(response.statusCode()).as("status of %s", next).isEqualTo(200);
            for (JsonNode issue : JSON.readTree(response.body())) {
                numbers.add(issue.get("number").asInt());
            }
            next = nextLink(response);
        }

        assertThat(visited).hasSize(3);
        assertThat(numbers).containsExactlyElementsOf(IntStream.rangeClosed(1, 75).boxed().toList());
        assertThat(github.requests()).hasSize(3);
    }

    @Test
    void jsonUrlFieldsPointAtMirror() throws Exception {
        github.addRepository("octo/hello");

        HttpResponse<byte[]> miss = mirror.get("/repos/octo/hello", "Authorization", TOKEN);
        HttpResponse<byte[]> hit = mirror.get("/repos/octo/hello", "Authorization", TOKEN);

        for (HttpResponse<byte[]> response : List.of(miss, hit)) {
            JsonNode repository = JSON.readTree(response.body());
            String cache = response.headers().firstValue("X-Cache").orElse("none");
            assertThat(repository.get("url").asText()).as("url on %s", cache)
                    .isEqualTo(mirror.baseUrl() + "/repos/octo/hello");
            assertThat(repository.get("issues_url").asText()).as("issues_url on %s", cache)
                    .isEqualTo(mirror.baseUrl() + "/repos/octo/hello/issues{/number}");
            assertThat(repository.get("owner").get("url").asText()).as("owner url on %s", cache)
                    .isEqualTo(mirror.baseUrl() + "/users/octo");
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).as("body on %s", cache)
                    .doesNotContain(github.baseUrl());
        }
    }

    @Test
    void rawFileBodyNotRewritten() throws Exception {
        byte[] file = ("API: " + github.baseUrl() + "/repos/octo/hello\nLink: " + github.baseUrl() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        github.putContent("octo/hello", "docs/urls.txt", file);

        HttpResponse<byte[]> miss = mirror.get("/repos/octo/hello/contents/docs/urls.txt",
                "Accept", "application/vnd.github.raw");
        HttpResponse<byte[]> hit = mirror.get("/repos/octo/hello/contents/docs/urls.txt",
                "Accept", "application/vnd.github.raw");

        assertThat(miss.body()).isEqualTo(file);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(hit.body()).isEqualTo(file);
    }

    @Test
    void lookalikeHostNotRewritten() throws Exception {
        String lookalike = github.baseUrl() + "0/repos/octo/hello";
        String subdomain = github.baseUrl() + ".example.test/x";
        github.putJson("/repos/octo/hello/hooks/1", "{\"config\":{\"url\":\"" + lookalike + "\",\"other\":\""
                + subdomain + "\"},\"url\":\"" + github.baseUrl() + "/repos/octo/hello/hooks/1\"}");

        HttpResponse<byte[]> response = mirror.get("/repos/octo/hello/hooks/1", "Authorization", TOKEN);

        JsonNode hook = JSON.readTree(response.body());
        assertThat(hook.get("config").get("url").asText()).isEqualTo(lookalike);
        assertThat(hook.get("config").get("other").asText()).isEqualTo(subdomain);
        assertThat(hook.get("url").asText()).isEqualTo(mirror.baseUrl() + "/repos/octo/hello/hooks/1");
    }

    @Test
    void streamedJsonRewritten() throws Exception {
        StringBuilder upstreamJson = new StringBuilder("[");
        for (int i = 0; i < 2000; i++) {
            upstreamJson.append(i == 0 ? "" : ",")
                    .append("{\"id\":").append(i)
                    .append(",\"url\":\"").append(github.baseUrl()).append("/repos/octo/hello/hooks/").append(i)
                    .append("\"}");
        }
        upstreamJson.append("]");
        github.putJson("/repos/octo/hello/hooks", upstreamJson.toString());

        try (MirrorHarness small = MirrorHarness.start(github.baseUrl(), "--cache-max-entry-bytes=16KiB")) {
            HttpResponse<byte[]> response = small.get("/repos/octo/hello/hooks", "Authorization", TOKEN);

            String expected = upstreamJson.toString().replace(github.baseUrl() + "/", small.baseUrl() + "/");
            assertThat(response.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(small.application().cache().memory().entryCount()).isZero();
            assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(expected);
        }
    }

    @Test
    void redirectLocationPointsAtMirror() throws Exception {
        github.failNext(301, "{\"message\":\"Moved Permanently\",\"url\":\"" + github.baseUrl()
                + "/repositories/42\"}", Map.of("Location", github.baseUrl() + "/repositories/42"));

        HttpResponse<byte[]> response = mirror.get("/repos/octo/renamed", "Authorization", TOKEN);

        assertThat(response.statusCode()).isEqualTo(301);
        assertThat(response.headers().firstValue("Location")).hasValue(mirror.baseUrl() + "/repositories/42");
        assertThat(JSON.readTree(response.body()).get("url").asText()).isEqualTo(mirror.baseUrl() + "/repositories/42");
    }

    @Test
    void configuredMirrorUrlUsed() throws Exception {
        github.addIssues("octo/hello", 40);
        String publicUrl = "https://mirror.example.test";

        try (MirrorHarness configured = MirrorHarness.start(github.baseUrl(), "--github-mirror-url=" + publicUrl)) {
            HttpResponse<byte[]> repository = configured.get("/repos/octo/hello", "Authorization", TOKEN);
            HttpResponse<byte[]> issues = configured.get("/repos/octo/hello/issues?per_page=30",
                    "Authorization", TOKEN);

            assertThat(JSON.readTree(repository.body()).get("url").asText())
                    .isEqualTo(publicUrl + "/repos/octo/hello");
            assertThat(nextLink(issues)).isEqualTo(publicUrl + "/repos/octo/hello/issues?per_page=30&page=2");
            assertThat(URI.create(nextLink(issues)).getHost()).isEqualTo("mirror.example.test");
        }
    }

    /** Returns the URL of the {@code next} relation in the response's Link header, or null. */
    private static String nextLink(HttpResponse<byte[]> response) {
        String link = response.headers().firstValue("Link").orElse(null);
        if (link == null) {
            return null;
        }
        Matcher matcher = NEXT_LINK.matcher(link);
        return matcher.find() ? matcher.group(1) : null;
    }
}
