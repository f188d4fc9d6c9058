package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Compression per hop: gzip toward clients that accept it, and identity bytes in the cache. */
class CoreCompressionTest {

    private static final String TOKEN = "token compression";
    /** A list page that is not full, because the mirror fetches a full page without a next link on every request. */
    private static final String LIST = "/repos/octo/hello/issues?per_page=100";

    private FakeGitHub github;
    private MirrorHarness mirror;

    @BeforeEach
    void start() throws Exception {
        github = FakeGitHub.start();
        github.addIssues("octo/hello", 95);
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
    void gzipClientGetsCompressedBody() throws Exception {
        HttpResponse<byte[]> compressed = mirror.get(LIST, "Authorization", TOKEN, "Accept-Encoding", "gzip");
        HttpResponse<byte[]> plain = mirror.get(LIST, "Authorization", TOKEN);

        assertThat(compressed.statusCode()).isEqualTo(200);
        assertThat(compressed.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(compressed.headers().allValues("Vary")).anyMatch(value -> value.contains("Accept-Encoding"));
        assertThat(compressed.body().length).isLessThan(plain.body().length);
        assertThat(gunzip(compressed.body())).isEqualTo(plain.body());
    }

    @Test
    void gzipHitCompressedToo() throws Exception {
        HttpResponse<byte[]> miss = mirror.get(LIST, "Authorization", TOKEN);
        HttpResponse<byte[]> hit = mirror.get(LIST, "Authorization", TOKEN, "Accept-Encoding", "gzip, br");

        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(hit.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(gunzip(hit.body())).isEqualTo(miss.body());
    }

    @Test
    void plainClientNeverGetsCompressed() throws Exception {
        for (String acceptEncoding : List.of("", "identity", "gzip;q=0", "br", "deflate, gzip;q=0.000")) {
            String[] headers = acceptEncoding.isEmpty()
                    ? new String[] {"Authorization", TOKEN}
                    : new String[] {"Authorization", TOKEN, "Accept-Encoding", acceptEncoding};

            HttpResponse<byte[]> response = mirror.get(LIST, headers);

            assertThat(response.statusCode()).as("status for '%s'", acceptEncoding).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Encoding")).as("encoding for '%s'", acceptEncoding)
                    .isEmpty();
            assertThat(response.body()[0]).as("first body byte for '%s'", acceptEncoding).isEqualTo((byte) '[');
        }
    }

    @Test
    void streamedBodyCompressedOnlyOnRequest() throws Exception {
        try (MirrorHarness small = MirrorHarness.start(github.baseUrl(), "--cache-max-entry-bytes=8KiB")) {
            HttpResponse<byte[]> plain = small.get(LIST, "Authorization", TOKEN);
            HttpResponse<byte[]> compressed = small.get(LIST, "Authorization", TOKEN, "Accept-Encoding", "gzip");

            assertThat(plain.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
            assertThat(plain.body()[0]).isEqualTo((byte) '[');
            assertThat(compressed.headers().firstValue("Content-Encoding")).hasValue("gzip");
            assertThat(gunzip(compressed.body())).isEqualTo(plain.body());
        }
    }

    @Test
    void upstreamGzipStoredAsIdentity() throws Exception {
        HttpResponse<byte[]> miss = mirror.get(LIST, "Authorization", TOKEN, "Accept-Encoding", "gzip");
        HttpResponse<byte[]> hit = mirror.get(LIST, "Authorization", TOKEN);

        assertThat(github.requests()).allSatisfy(request ->
                assertThat(request.header("Accept-Encoding")).isEqualTo("gzip"));
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(hit.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(new ObjectMapper().readTree(hit.body()).size()).isEqualTo(95);
        assertThat(hit.body()).isEqualTo(gunzip(miss.body()));
    }

    private static byte[] gunzip(byte[] compressed) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }
}
