package io.ghmirror.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UrlRewriterPolicyTest {

    private static final String UPSTREAM = "https://api.github.com";
    private static final String MIRROR = "http://mirror.example:8080";

    private final UrlRewriter rewriter = new UrlRewriter(UPSTREAM);

    @Test
    void rewritesUrlsInBody() {
        String body = "{\"url\":\"https://api.github.com/repos/o/r\","
                + "\"issues_url\":\"https://api.github.com/repos/o/r/issues{/number}\"}";

        assertThat(rewrite(body)).isEqualTo("{\"url\":\"http://mirror.example:8080/repos/o/r\","
                + "\"issues_url\":\"http://mirror.example:8080/repos/o/r/issues{/number}\"}");
    }

    @Test
    void rewritesBareBaseUrl() {
        assertThat(rewrite("{\"current_user_url\":\"https://api.github.com\"}"))
                .isEqualTo("{\"current_user_url\":\"http://mirror.example:8080\"}");
    }

    @Test
    void rewritesUrlAtEndOfBody() {
        assertThat(rewrite("see https://api.github.com")).isEqualTo("see http://mirror.example:8080");
    }

    @Test
    void rewritesQueryAfterBase() {
        assertThat(rewrite("https://api.github.com?page=2")).isEqualTo("http://mirror.example:8080?page=2");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "https://api.github.com.evil.example/repos",
        "https://api.github.com-evil.example/repos",
        "https://api.github.com@evil.example/repos",
        "https://api.github.com:8443/repos",
        "https://api.github.company/repos",
        "https://github.com/o/r",
        "http://api.github.com/repos"
    })
    void leavesOtherHostsAlone(String url) {
        String body = "{\"html_url\":\"" + url + "\"}";

        assertThat(rewrite(body)).isEqualTo(body);
    }

    @Test
    void unchangedBodyIsSameArray() {
        byte[] body = "{\"id\":1}".getBytes(StandardCharsets.UTF_8);

        assertThat(rewriter.rewrite(body, MIRROR)).isSameAs(body);
    }

    @Test
    void rewritesLinkHeader() {
        String link = "<https://api.github.com/repos/o/r/issues?page=2>; rel=\"next\", "
                + "<https://api.github.com/repos/o/r/issues?page=4>; rel=\"last\"";

        assertThat(rewriter.rewrite(link, MIRROR)).isEqualTo(
                "<http://mirror.example:8080/repos/o/r/issues?page=2>; rel=\"next\", "
                        + "<http://mirror.example:8080/repos/o/r/issues?page=4>; rel=\"last\"");
    }

    @Test
    void streamMatchesArrayAcrossChunkBoundaries() throws IOException {
        // The stream reads 16 KiB chunks, so place URLs that straddle, start and end at a chunk boundary.
        for (int offset = 16384 - UPSTREAM.length() - 2; offset <= 16384 + 2; offset++) {
            String body = "x".repeat(offset) + UPSTREAM + "/repos/o/r\"" + "y".repeat(20000) + UPSTREAM;
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);

            byte[] streamed = rewriter.rewrite(new OneByteAtATime(bytes), MIRROR).readAllBytes();

            assertThat(new String(streamed, StandardCharsets.UTF_8)).as("URL at offset %d", offset)
                    .isEqualTo(rewrite(body));
        }
    }

    @Test
    void streamLeavesLookalikeAtChunkBoundary() throws IOException {
        String body = "x".repeat(16384 - UPSTREAM.length()) + UPSTREAM + ".evil.example/";

        byte[] streamed = rewriter.rewrite(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), MIRROR)
                .readAllBytes();

        assertThat(new String(streamed, StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void streamOfEmptyBodyIsEmpty() throws IOException {
        assertThat(rewriter.rewrite(InputStream.nullInputStream(), MIRROR).readAllBytes()).isEmpty();
    }

    @Test
    void jsonTypesAreRecognised() {
        assertThat(UrlRewriter.isJson("application/json")).isTrue();
        assertThat(UrlRewriter.isJson("Application/JSON; charset=utf-8")).isTrue();
        assertThat(UrlRewriter.isJson("application/vnd.github+json")).isTrue();
        assertThat(UrlRewriter.isJson("application/vnd.github.v3+json; charset=utf-8")).isTrue();
    }

    @Test
    void otherTypesAreNotJson() {
        assertThat(UrlRewriter.isJson(null)).isFalse();
        assertThat(UrlRewriter.isJson("application/vnd.github.raw")).isFalse();
        assertThat(UrlRewriter.isJson("application/octet-stream")).isFalse();
        assertThat(UrlRewriter.isJson("text/plain; charset=utf-8")).isFalse();
    }

    private String rewrite(String body) {
        return new String(rewriter.rewrite(body.getBytes(StandardCharsets.UTF_8), MIRROR), StandardCharsets.UTF_8);
    }

    /** Hands out one byte per read call, the worst case for a rewriter that works in chunks. */
    private static final class OneByteAtATime extends InputStream {
        private final byte[] bytes;
        private int position;

        OneByteAtATime(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (position >= bytes.length) {
                return -1;
            }
            buffer[offset] = bytes[position++];
            return 1;
        }
    }
}
