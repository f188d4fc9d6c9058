package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** A new token revalidates another token's stored body with the ETag GitHub would compute for it. */
class EtagDerivationTest {

    @Test
    void rotatedTokenGetsFreeHit() throws Exception {
        try (FakeGitHub github = FakeGitHub.start(); MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.putJson("/repos/octo/rotate", "{\"name\":\"rotate\"}");
            HttpResponse<byte[]> old = mirror.get("/repos/octo/rotate", "Authorization", "token old");

            HttpResponse<byte[]> rotated = mirror.get("/repos/octo/rotate", "Authorization", "token new");

            assertThat(old.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(rotated.statusCode()).isEqualTo(200);
            assertThat(rotated.headers().firstValue("X-Cache")).hasValue("HIT");
            assertThat(rotated.body()).isEqualTo(old.body());
            assertThat(github.unitsSpent("token new")).isZero();
        }
    }

    @Test
    void rotatedTokenSecondRequestIsPlainHit() throws Exception {
        try (FakeGitHub github = FakeGitHub.start(); MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.putJson("/repos/octo/rotate", "{\"name\":\"rotate\"}");
            mirror.get("/repos/octo/rotate", "Authorization", "token old");
            mirror.get("/repos/octo/rotate", "Authorization", "token new");

            HttpResponse<byte[]> again = mirror.get("/repos/octo/rotate", "Authorization", "token new");

            assertThat(again.headers().firstValue("X-Cache")).hasValue("HIT");
            assertThat(github.requests().getLast().header("If-None-Match")).isNotNull();
            assertThat(github.unitsSpent("token new")).isZero();
        }
    }

    @Test
    void tokenWithoutAccessNeverGetsSharedBody() throws Exception {
        try (FakeGitHub github = FakeGitHub.start(); MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.putPrivate("/repos/octo/secret", "{\"secret\":true}", "token owner");
            mirror.get("/repos/octo/secret", "Authorization", "token owner");

            HttpResponse<byte[]> outsider = mirror.get("/repos/octo/secret", "Authorization", "token outsider");

            assertThat(outsider.statusCode()).isEqualTo(404);
            assertThat(new String(outsider.body())).doesNotContain("secret\":true");
        }
    }

    @Test
    void changedBodyIsFetched() throws Exception {
        try (FakeGitHub github = FakeGitHub.start(); MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.putJson("/repos/octo/rotate", "{\"version\":1}");
            mirror.get("/repos/octo/rotate", "Authorization", "token old");
            github.putJson("/repos/octo/rotate", "{\"version\":2}");

            HttpResponse<byte[]> rotated = mirror.get("/repos/octo/rotate", "Authorization", "token new");

            assertThat(rotated.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(new String(rotated.body())).isEqualTo("{\"version\":2}");
        }
    }

    @Test
    void disabledDerivationSpendsUnit() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--etag-derivation=false")) {
            github.putJson("/repos/octo/rotate", "{\"name\":\"rotate\"}");
            mirror.get("/repos/octo/rotate", "Authorization", "token old");

            HttpResponse<byte[]> rotated = mirror.get("/repos/octo/rotate", "Authorization", "token new");

            assertThat(rotated.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(github.unitsSpent("token new")).isEqualTo(1);
        }
    }
}
