package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class SmokeTest {

    @Test
    void secondGetIsHitWithoutUnits() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.addRepository("octo/hello");
            HttpResponse<byte[]> first = mirror.get("/repos/octo/hello", "Authorization", "token a");
            HttpResponse<byte[]> second = mirror.get("/repos/octo/hello", "Authorization", "token a");

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(second.headers().firstValue("X-Cache")).hasValue("HIT");
            assertThat(second.body()).isEqualTo(first.body());
            assertThat(new String(second.body())).contains(mirror.baseUrl() + "/repos/octo/hello");
            assertThat(github.unitsSpent("token a")).isEqualTo(1);
        }
    }
}
