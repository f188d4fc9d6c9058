package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.http.HeaderFields;
import io.ghmirror.mirror.CacheKeyGenerator;
import io.ghmirror.mirror.RequestTargets;
import io.ghmirror.upstream.UpstreamClient;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Generated hostile request targets and headers against the three pure functions that decide
 * where a request goes and which entry it may read: {@link RequestTargets#problem},
 * {@link UpstreamClient#urlFor} and {@link CacheKeyGenerator#keyFor}. No request is sent; the
 * upstream base URLs point at a closed port on 127.0.0.1.
 */
class HostileTargetPropertyTest {

    /** Path pieces that attack the host, the path and its decoding, mixed with harmless words. */
    private static final List<String> HOSTILE_PIECES = List.of(
            "..", ".", "%2e", "%2E%2e", ".%2e", "%2e.", "%2f", "%2F", "..%2f", "%2e%2e%2f", "%5c", "..%5c", "\\",
            "\\..", "%252e%252e", "%25252e", "%25", "%2", "%zz", "%E2%80%A5", "%E2%80%A4", "%EF%BC%8E",
            "%EF%BC%8E%EF%BC%8E", "%EF%BC%8F", "..;", ";..", "..;x=1", "", "@evil.example", "evil.example:443",
            "http:", "https:", "//evil.example", "127.0.0.2", "[::1]", "%00", "%0d%0a", "?", "#frag", " ", "\u2025",
            "\uFF0E\uFF0E", "\u00e9", "%c0%ae%c0%ae", "~", "repos", "octo", "hello", "contents", "a.b", "...");

    private static final List<String> QUERIES = List.of("", "a=1", "q=..%2f..%2f", "url=http://evil.example/",
            "page=2&per_page=100", "x=[1]", "a=b?c", "a=%", "a=%zz", "a=\u00e9", "a=b#c", "a b");

    private static final List<String> VARYING_HEADERS = List.of("Authorization", "Accept", "X-GitHub-Api-Version");

    private static UpstreamClient rootUpstream;
    private static UpstreamClient enterpriseUpstream;

    @BeforeContainer
    static void createClients() {
        rootUpstream = new UpstreamClient(URI.create("http://127.0.0.1:9"), Duration.ofSeconds(1),
                Duration.ofSeconds(1));
        enterpriseUpstream = new UpstreamClient(URI.create("http://127.0.0.1:9/api/v3"), Duration.ofSeconds(1),
                Duration.ofSeconds(1));
    }

    @AfterContainer
    static void closeClients() {
        rootUpstream.close();
        enterpriseUpstream.close();
    }

    @Property(tries = 3000)
    void acceptedTargetStaysOnUpstream(@ForAll("paths") String rawPath, @ForAll("queries") String rawQuery) {
        String problem = RequestTargets.problem(rawPath, rawQuery);
        Statistics.label("target").collect(problem == null ? "accepted" : "rejected");
        Statistics.label("target").coverage(coverage -> {
            coverage.check("accepted").percentage(percent -> percent > 5);
            coverage.check("rejected").percentage(percent -> percent > 5);
        });
        if (problem != null) {
            return;
        }
        String target = rawQuery == null ? rawPath : rawPath + "?" + rawQuery;

        for (UpstreamClient upstream : List.of(rootUpstream, enterpriseUpstream)) {
            URI base = upstream.base();
            URI url = upstream.urlFor(target);
            String basePath = base.getRawPath() == null ? "" : base.getRawPath();

            assertThat(url.getScheme()).as(target).isEqualTo(base.getScheme());
            assertThat(url.getRawAuthority()).as(target).isEqualTo(base.getRawAuthority());
            assertThat(url.getHost()).as(target).isEqualTo("127.0.0.1");
            assertThat(url.getRawPath()).as(target).startsWith(basePath + "/");
            assertThat(climbsAboveStart(url.getRawPath().substring(basePath.length())))
                    .as("whether " + url + " climbs out of " + base).isFalse();
        }
    }

    @Property(tries = 1000)
    void keyChangesWithEachVaryingHeader(@ForAll("paths") String target, @ForAll("varyingHeader") String name,
            @ForAll String first, @ForAll String second) {
        Assume.that(!first.equals(second));
        CacheKeyGenerator keys = new CacheKeyGenerator("a 32-byte secret for key tests!!".getBytes(
                StandardCharsets.UTF_8));
        HeaderFields common = new HeaderFields().add("Accept", "application/vnd.github+json")
                .add("Authorization", "token shared").add("X-GitHub-Api-Version", "2022-11-28");

        HeaderFields withFirst = common.copy().set(name, first);
        HeaderFields withSecond = common.copy().set(name, second);

        assertThat(keys.keyFor(target, withFirst)).isNotEqualTo(keys.keyFor(target, withSecond));
        assertThat(keys.keyFor(target, withFirst)).isEqualTo(keys.keyFor(target, withFirst.copy()));
    }

    @Property(tries = 500)
    void keyIgnoresOtherHeaders(@ForAll("paths") String target, @ForAll String userAgent) {
        CacheKeyGenerator keys = new CacheKeyGenerator("a 32-byte secret for key tests!!".getBytes(
                StandardCharsets.UTF_8));
        HeaderFields headers = new HeaderFields().add("Authorization", "token shared");

        assertThat(keys.keyFor(target, headers.copy().add("User-Agent", userAgent)))
                .isEqualTo(keys.keyFor(target, headers));
    }

    @Property(tries = 500)
    void splitValuesNeverCollide(@ForAll String accept, @ForAll String authorization) {
        Assume.that(!authorization.isEmpty());
        CacheKeyGenerator keys = new CacheKeyGenerator("a 32-byte secret for key tests!!".getBytes(
                StandardCharsets.UTF_8));
        HeaderFields original = new HeaderFields().add("Accept", accept).add("Authorization", authorization);
        HeaderFields shifted = new HeaderFields().add("Accept", accept + authorization.charAt(0))
                .add("Authorization", authorization.substring(1));

        assertThat(keys.keyFor("/user", original)).isNotEqualTo(keys.keyFor("/user", shifted));
    }

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of(HOSTILE_PIECES)),
                Tuple.of(2, Arbitraries.strings().withChars("abcXYZ019-._~%2eEfF5cC:@;=+$,!*'()/\\")
                        .ofMaxLength(8)),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(4)));
        return piece.list().ofMaxSize(8).map(pieces -> "/" + String.join("/", pieces));
    }

    @Provide
    Arbitrary<String> queries() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(null)),
                Tuple.of(3, Arbitraries.of(QUERIES)),
                Tuple.of(1, Arbitraries.strings().withChars("a=&%2e/.?[]#").ofMaxLength(10)));
    }

    @Provide
    Arbitrary<String> varyingHeader() {
        return Arbitraries.of(VARYING_HEADERS);
    }

    // ---------------------------------------------------------------- oracle

    /**
     * Returns whether the path, resolved segment by segment, climbs above where it starts. The
     * check covers the decodings a server behind the upstream might apply: up to three rounds of
     * percent-decoding, NFKC folding of look-alikes, backslashes as separators, no path parameters.
     */
    private static boolean climbsAboveStart(String rawPath) {
        String current = rawPath;
        for (int round = 0; round <= 3; round++) {
            String folded = Normalizer.normalize(current, Normalizer.Form.NFKC).replace('\\', '/');
            int depth = 0;
            for (String segment : folded.split("/")) {
                int parameters = segment.indexOf(';');
                String name = parameters < 0 ? segment : segment.substring(0, parameters);
                if (name.equals("..")) {
                    depth--;
                    if (depth < 0) {
                        return true;
                    }
                } else if (!name.isEmpty() && !name.equals(".")) {
                    depth++;
                }
            }
            current = percentDecode(current);
        }
        return false;
    }

    private static String percentDecode(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length() && Character.digit(text.charAt(i + 1), 16) >= 0
                    && Character.digit(text.charAt(i + 2), 16) >= 0) {
                bytes.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
