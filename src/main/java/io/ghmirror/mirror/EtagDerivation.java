package io.ghmirror.mirror;

import io.ghmirror.cache.Entry;
import io.ghmirror.cache.Header;
import io.ghmirror.http.HeaderFields;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Derives the ETag GitHub would send to another credential for a body the mirror already holds.
 *
 * <p>GitHub computes an ETag as SHA-256 over each present value of {@code Accept},
 * {@code Authorization} and {@code Cookie}, each followed by {@code :}, then the body bytes. This
 * is undocumented and was observed in 2025. When a GitHub App rotates its installation token every
 * hour, the new token's entries are all misses; with the derived ETag the first request of the new
 * token is a conditional request, and GitHub returns a free 304 when the body is unchanged.
 *
 * <p>The stored body is served to the new credential only after GitHub answered 304 to that
 * credential's own request, which confirms the credential would receive exactly these bytes. If the
 * formula ever changes, GitHub answers 200 and the request costs what it would have cost anyway.
 */
final class EtagDerivation {

    /**
     * Response headers that describe the credential rather than the resource: its OAuth scopes,
     * its expiry, its SSO state, a cookie. A GitHub 304 need not repeat them, so a body adopted
     * by another credential must not carry the first credential's values.
     */
    private static final Set<String> CREDENTIAL_HEADERS = Set.of("x-oauth-scopes", "x-accepted-oauth-scopes",
            "x-oauth-client-id", "github-authentication-token-expiration", "x-github-sso", "set-cookie");

    /** Prefix of the rate-limit headers, which report the quota of the credential that made the request. */
    private static final String RATE_LIMIT_PREFIX = "x-ratelimit-";

    private EtagDerivation() {}

    /** Returns the entry without the headers that belong to the credential that fetched it, for sharing. */
    static Entry shareable(Entry entry) {
        List<Header> kept = entry.headers().stream()
                .filter(header -> !credentialBound(header.name()))
                .toList();
        return new Entry(entry.target(), entry.status(), kept, entry.body(), entry.etag(), entry.lastModified(),
                entry.storedAtMillis());
    }

    private static boolean credentialBound(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return CREDENTIAL_HEADERS.contains(lower) || lower.startsWith(RATE_LIMIT_PREFIX);
    }

    /** Returns whether a request may try a derived ETag: an authenticated GET without its own validators. */
    static boolean eligible(ClientRequest request) {
        HeaderFields headers = request.headers();
        return request.method().equals("GET")
                && headers.contains("Authorization")
                && !headers.contains("If-None-Match")
                && !headers.contains("If-Modified-Since")
                && !headers.contains("Cookie");
    }

    /** Returns the quoted strong ETag GitHub would compute for this request and body. */
    static String derive(HeaderFields request, byte[] body) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
        for (String name : new String[] {"Accept", "Authorization", "Cookie"}) {
            var values = request.all(name);
            if (!values.isEmpty()) {
                sha256.update(String.join(", ", values).getBytes(StandardCharsets.UTF_8));
                sha256.update((byte) ':');
            }
        }
        sha256.update(body);
        return "\"" + HexFormat.of().formatHex(sha256.digest()) + "\"";
    }
}
