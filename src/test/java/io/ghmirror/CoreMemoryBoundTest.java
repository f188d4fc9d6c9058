package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The memory tier stays within CACHE_MEMORY_MAX_BYTES however many resources pass through. */
class CoreMemoryBoundTest {

    private static final long BUDGET_BYTES = 200 * 1024;
    private static final Pattern MEMORY_SIZE =
            Pattern.compile("(?m)^github_mirror_cache_size\\{tier=\"memory\"} (\\S+)$");

    @Test
    void memoryTierStaysWithinBudget() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--cache-memory-max-bytes=200KiB")) {
            String padding = "x".repeat(20 * 1024);
            for (int i = 0; i < 50; i++) {
                github.putJson("/repos/octo/hello/hooks/" + i, "{\"id\":" + i + ",\"padding\":\"" + padding + "\"}");
            }

            for (int i = 0; i < 50; i++) {
                HttpResponse<byte[]> response = mirror.get("/repos/octo/hello/hooks/" + i,
                        "Authorization", "token memory");
                assertThat(response.statusCode()).as("status of hook %d", i).isEqualTo(200);
            }
            mirror.application().cache().memory().cleanUp();

            Matcher size = MEMORY_SIZE.matcher(mirror.metrics());
            assertThat(size.find()).as("memory tier size series").isTrue();
            assertThat(Double.parseDouble(size.group(1))).isPositive().isLessThanOrEqualTo(BUDGET_BYTES);
            assertThat(mirror.application().cache().memory().sizeBytes()).isLessThanOrEqualTo(BUDGET_BYTES);
            assertThat(mirror.application().cache().memory().entryCount()).isLessThan(50);
        }
    }
}
