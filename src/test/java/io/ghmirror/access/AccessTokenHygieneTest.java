package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.Fault;
import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.http.HeaderFields;
import io.ghmirror.mirror.CacheKeyGenerator;
import io.ghmirror.support.MirrorHarness;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets (tokens, the admin token, cookies, one-time passwords, credentials in the query) never
 * appear in logs, metric labels, error bodies, cache keys or stored entries, and responses meant
 * for one credential are never served to another.
 */
class AccessTokenHygieneTest {

    private static final String ACCEPT = "application/vnd.github+json";
    private static final String ALICE_TOKEN = "ghp_AliceSecretToken0123456789abcdefABCD";
    private static final String MALLORY_TOKEN = "ghp_MallorySecretToken0123456789abcdefAB";
    private static final String UNKNOWN_TOKEN = "ghp_UnknownSecretToken0123456789abcdefAB";
    private static final String BOB_TOKEN = "ghp_BobSecretToken0123456789abcdefABCDEF";
    private static final String ADMIN_TOKEN = "adm_AdminSecretToken0123456789abcdef";
    private static final String WRONG_ADMIN_TOKEN = "adm_WrongAdminSecret0123456789abcdef";
    private static final String QUERY_SECRET = "qs_QuerySecret0123456789abcdef";
    private static final String COOKIE_SECRET = "ck_CookieSecret0123456789abcdef";
    private static final String OTP_SECRET = "otp_OneTime0123456789";
    private static final List<String> SECRETS = List.of(ALICE_TOKEN, MALLORY_TOKEN, UNKNOWN_TOKEN, BOB_TOKEN,
            ADMIN_TOKEN, WRONG_ADMIN_TOKEN, QUERY_SECRET, COOKIE_SECRET, OTP_SECRET);

    @Test
    void secretsStayOutOfLogsBodiesAndMetrics() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--github-users=alice",
                        "--admin-token=" + ADMIN_TOKEN, "--metrics-user-label=login", "--upstream-timeout=1s",
                        "--circuit-failure-threshold=0");
                CapturedLogs logs = CapturedLogs.captureDebug()) {
            github.addUser(ALICE_TOKEN, "alice");
            github.addUser(MALLORY_TOKEN, "mallory");
            github.addRepository("octo/open");
            github.putPrivate("/repos/octo/secret", "{\"name\":\"secret\"}", "token " + ALICE_TOKEN);
            github.inject(Fault.serverError(502).onPath("/repos/octo/broken").untilCleared());
            github.inject(Fault.drop().onPath("/repos/octo/dropped").untilCleared());

            List<HttpResponse<byte[]>> responses = new ArrayList<>();
            responses.add(get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN));
            responses.add(get(mirror, "/repos/octo/secret", "token " + ALICE_TOKEN));
            responses.add(get(mirror, "/repos/octo/secret", "token " + ALICE_TOKEN));
            responses.add(get(mirror, "/repos/octo/open", "token " + MALLORY_TOKEN));
            responses.add(get(mirror, "/repos/octo/open", "token " + UNKNOWN_TOKEN));
            responses.add(get(mirror, "/repos/octo/open", null));
            responses.add(get(mirror, "/repos/octo/broken", "token " + ALICE_TOKEN));
            responses.add(get(mirror, "/repos/octo/dropped", "token " + ALICE_TOKEN));
            responses.add(get(mirror, "/repos/octo/open?access_token=" + QUERY_SECRET, "token " + ALICE_TOKEN));
            responses.add(get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN, "Cookie",
                    "session=" + COOKIE_SECRET));
            responses.add(get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN, "X-GitHub-OTP", OTP_SECRET));
            responses.add(mirror.send(mirror.request("/repos/octo/open/issues")
                    .header("Authorization", "token " + ALICE_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"t\"}")).build()));
            responses.add(get(mirror, "/admin/stats", "Bearer " + ADMIN_TOKEN));
            responses.add(get(mirror, "/admin/stats", "Bearer " + WRONG_ADMIN_TOKEN));
            String metrics = mirror.metrics();

            assertThat(responses).extracting(HttpResponse::statusCode)
                    .containsExactly(200, 200, 200, 403, 401, 401, 502, 502, 200, 200, 200, 201, 200, 401);
            for (HttpResponse<byte[]> response : responses) {
                String text = new String(response.body(), StandardCharsets.UTF_8) + response.headers().map();
                assertNoSecret(text, "response to " + response.request().uri());
            }
            assertThat(logs.size()).isPositive();
            assertThat(logs.text()).contains("access_token=REDACTED");
            assertNoSecret(logs.text(), "log output");
            assertNoSecret(metrics, "/metrics");
            assertThat(metrics).contains("user=\"alice\"");
        }
    }

    @Test
    void hashLabelIsShortKeyedHash() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--metrics-user-label=hash")) {
            github.addRepository("octo/open");
            get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN);
            get(mirror, "/repos/octo/open", null);

            String metrics = mirror.metrics();

            assertNoSecret(metrics, "/metrics");
            assertThat(metrics).containsPattern("github_mirror_rate_limit_units_total\\{result=\"spent\","
                    + "user=\"[0-9a-f]{12}\"\\}");
            assertThat(metrics).contains("user=\"anonymous\"");
        }
    }

    @Test
    void cacheKeyVariantIsKeyedHash() {
        HeaderFields headers = new HeaderFields().add("Authorization", "token " + ALICE_TOKEN).add("Accept", ACCEPT);
        byte[] secretOne = new byte[32];
        byte[] secretTwo = new byte[32];
        secretTwo[0] = 1;

        String variantOne = new CacheKeyGenerator(secretOne).keyFor("/repos/octo/open", headers).variant();
        String variantTwo = new CacheKeyGenerator(secretTwo).keyFor("/repos/octo/open", headers).variant();
        String credential = new CacheKeyGenerator(secretOne).credentialHash("token " + ALICE_TOKEN);

        assertThat(variantOne).matches("[0-9a-f]{64}");
        assertThat(variantOne).isNotEqualTo(variantTwo);
        assertThat(variantOne).isNotEqualTo(sha256Hex("token " + ALICE_TOKEN))
                .isNotEqualTo(sha256Hex(ACCEPT + "token " + ALICE_TOKEN));
        assertNoSecret(new CacheKeyGenerator(secretOne).keyFor("/repos/octo/open", headers).asString(), "cache key");
        assertNoSecret(credential, "credential hash");
    }

    @Test
    void diskStoreHoldsNoToken(@TempDir Path cacheDir) throws Exception {
        try (FakeGitHub github = FakeGitHub.start()) {
            github.addUser(ALICE_TOKEN, "alice");
            github.addRepository("octo/open");
            github.putPrivate("/repos/octo/secret", "{\"name\":\"private-marker\"}", "token " + ALICE_TOKEN);
            try (MirrorHarness mirror = MirrorHarness.start(github.baseUrl(), "--cache-type=disk",
                    "--cache-dir=" + cacheDir, "--github-users=alice")) {
                assertThat(get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN).statusCode()).isEqualTo(200);
                assertThat(get(mirror, "/repos/octo/secret", "token " + ALICE_TOKEN).statusCode()).isEqualTo(200);
                assertThat(get(mirror, "/repos/octo/secret", "token " + ALICE_TOKEN).statusCode()).isEqualTo(200);
            }

            String stored = allFileBytes(cacheDir);

            assertThat(stored).as("entries were written to disk").contains("private-marker");
            assertNoSecret(stored, "files in the cache directory");
        }
    }

    @Test
    void privateResponseIsNotServedToOtherCredential() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.putPrivate("/repos/octo/secret", "{\"name\":\"alice-only\"}", "token " + ALICE_TOKEN);

            HttpResponse<byte[]> alice = get(mirror, "/repos/octo/secret", "token " + ALICE_TOKEN);
            HttpResponse<byte[]> bob = get(mirror, "/repos/octo/secret", "token " + BOB_TOKEN);
            HttpResponse<byte[]> anonymous = get(mirror, "/repos/octo/secret", null);
            HttpResponse<byte[]> aliceAgain = get(mirror, "/repos/octo/secret", "token " + ALICE_TOKEN);

            assertThat(alice.headers().firstValue("Cache-Control")).hasValueSatisfying(
                    value -> assertThat(value).contains("private"));
            assertThat(bob.statusCode()).isEqualTo(404);
            assertThat(bob.headers().firstValue("X-Cache")).hasValue("MISS");
            assertThat(text(bob)).doesNotContain("alice-only");
            assertThat(anonymous.statusCode()).isEqualTo(404);
            assertThat(text(anonymous)).doesNotContain("alice-only");
            assertThat(aliceAgain.headers().firstValue("X-Cache")).hasValue("HIT");
            assertThat(text(aliceAgain)).contains("alice-only");
        }
    }

    @Test
    void setCookieStaysWithItsCredential() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.addRepository("octo/open");
            byte[] body = direct(github, "/repos/octo/open", "token " + ALICE_TOKEN);
            github.inject(Fault.status(200, new String(body, StandardCharsets.UTF_8), Map.of(
                    "ETag", githubEtag("token " + ALICE_TOKEN, body),
                    "Set-Cookie", "session=" + COOKIE_SECRET + "; Secure; HttpOnly")).onPath("/repos/octo/open"));

            HttpResponse<byte[]> alice = get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN);
            HttpResponse<byte[]> bob = get(mirror, "/repos/octo/open", "token " + BOB_TOKEN);

            assertThat(alice.headers().firstValue("Set-Cookie")).isPresent();
            assertThat(bob.statusCode()).isEqualTo(200);
            assertThat(bob.headers().allValues("Set-Cookie")).isEmpty();
            assertThat(text(bob)).doesNotContain(COOKIE_SECRET);
        }
    }

    @Test
    void anonymousSetCookieIsNotShared() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.addRepository("octo/open");
            byte[] body = direct(github, "/repos/octo/open", null);
            github.inject(Fault.status(200, new String(body, StandardCharsets.UTF_8), Map.of(
                    "ETag", githubEtag(null, body),
                    "Set-Cookie", "session=" + COOKIE_SECRET + "; Secure; HttpOnly")).onPath("/repos/octo/open"));

            HttpResponse<byte[]> first = get(mirror, "/repos/octo/open", null);
            HttpResponse<byte[]> second = get(mirror, "/repos/octo/open", null);

            assertThat(first.headers().firstValue("Set-Cookie")).isPresent();
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(second.headers().allValues("Set-Cookie")).isEmpty();
        }
    }

    @Test
    void derivedEntryKeepsNoCredentialHeaders() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.addRepository("octo/open");
            byte[] body = direct(github, "/repos/octo/open", "token " + ALICE_TOKEN);
            github.inject(Fault.status(200, new String(body, StandardCharsets.UTF_8), Map.of(
                    "ETag", githubEtag("token " + ALICE_TOKEN, body),
                    "X-OAuth-Scopes", "repo, admin:org",
                    "GitHub-Authentication-Token-Expiration", "2031-01-01 00:00:00 UTC")).onPath("/repos/octo/open"));

            HttpResponse<byte[]> alice = get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN);
            HttpResponse<byte[]> bob = get(mirror, "/repos/octo/open", "token " + BOB_TOKEN);

            assertThat(alice.headers().firstValue("X-OAuth-Scopes")).hasValue("repo, admin:org");
            assertThat(bob.statusCode()).isEqualTo(200);
            assertThat(bob.headers().firstValue("X-Cache")).as("served from Alice's body after a 304").hasValue("HIT");
            assertThat(bob.headers().firstValue("X-OAuth-Scopes")).isEmpty();
            assertThat(bob.headers().firstValue("GitHub-Authentication-Token-Expiration")).isEmpty();
        }
    }

    @Test
    void cookieRequestsBypassCache() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.addRepository("octo/open");

            HttpResponse<byte[]> first = get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN, "Cookie", "a=1");
            HttpResponse<byte[]> second = get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN, "Cookie", "a=1");

            assertThat(first.headers().firstValue("X-Cache")).hasValue("BYPASS");
            assertThat(second.headers().firstValue("X-Cache")).hasValue("BYPASS");
            assertThat(github.unitsSpent("token " + ALICE_TOKEN)).isEqualTo(2);
        }
    }

    @Test
    void otpRequestsBypassCache() throws Exception {
        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl())) {
            github.addRepository("octo/open");

            HttpResponse<byte[]> first = get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN, "X-GitHub-OTP", "1");
            HttpResponse<byte[]> second = get(mirror, "/repos/octo/open", "token " + ALICE_TOKEN, "X-GitHub-OTP", "2");

            assertThat(first.headers().firstValue("X-Cache")).hasValue("BYPASS");
            assertThat(second.headers().firstValue("X-Cache")).hasValue("BYPASS");
            assertThat(github.unitsSpent("token " + ALICE_TOKEN)).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void assertNoSecret(String text, String where) {
        for (String secret : SECRETS) {
            assertThat(text).as(where + " must not contain a secret").doesNotContain(secret);
        }
    }

    /** Sends a GET with {@code Accept} and, when given, {@code Authorization} plus extra header pairs. */
    private static HttpResponse<byte[]> get(MirrorHarness mirror, String target, String authorization,
            String... extraHeaders) throws IOException, InterruptedException {
        List<String> headers = new ArrayList<>(List.of("Accept", ACCEPT));
        if (authorization != null) {
            headers.addAll(List.of("Authorization", authorization));
        }
        headers.addAll(List.of(extraHeaders));
        return mirror.get(target, headers.toArray(String[]::new));
    }

    /** Fetches a body from the fake directly, as the mirror's upstream request would. */
    private static byte[] direct(FakeGitHub github, String target, String authorization) throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest.Builder request = HttpRequest.newBuilder(github.uri(target)).header("Accept", ACCEPT).GET();
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray()).body();
        }
    }

    /** Returns the ETag GitHub computes: SHA-256 over each present Accept, Authorization value and ':', then the body. */
    private static String githubEtag(String authorization, byte[] body) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update((ACCEPT + ":").getBytes(StandardCharsets.UTF_8));
        if (authorization != null) {
            sha256.update((authorization + ":").getBytes(StandardCharsets.UTF_8));
        }
        return "\"" + HexFormat.of().formatHex(sha256.digest(body)) + "\"";
    }

    private static String sha256Hex(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the bytes of every file under the directory as ISO-8859-1 text, so any byte sequence can be searched. */
    private static String allFileBytes(Path directory) throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                all.append(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
            }
        }
        return all.toString();
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
