package io.ghmirror.mirror;

import io.ghmirror.cache.CacheKey;
import io.ghmirror.http.HeaderFields;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Derives cache keys. GitHub varies responses on {@code Accept}, {@code Authorization} and the API
 * version, so all three go into the variant; otherwise a raw file and its JSON description, or two
 * tokens with different access, would share an entry. The variant is an HMAC-SHA256 under a secret,
 * so a copied cache file or Redis dump does not let anyone test guesses of tokens against it.
 */
public final class CacheKeyGenerator {

    /** Request headers that select a different representation of the same URL. */
    static final List<String> VARYING_HEADERS = List.of("Authorization", "Accept", "X-GitHub-Api-Version");

    private final SecretKeySpec secret;
    private final Mac prototype;

    /**
     * @throws IllegalArgumentException when the secret is shorter than 16 bytes
     */
    public CacheKeyGenerator(byte[] secret) {
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException("cache key secret must have at least 16 bytes");
        }
        this.secret = new SecretKeySpec(secret.clone(), "HmacSHA256");
        try {
            this.prototype = Mac.getInstance("HmacSHA256");
            this.prototype.init(this.secret);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
        }
    }

    /** Returns the key for a GET or HEAD of the target with the given request headers. */
    public CacheKey keyFor(String target, HeaderFields headers) {
        Mac mac = newMac();
        for (String name : VARYING_HEADERS) {
            update(mac, String.join(", ", headers.all(name)));
        }
        return new CacheKey(target, HexFormat.of().formatHex(mac.doFinal()));
    }

    /**
     * Returns the key under which the latest body of a target is kept for any credential, with the
     * same {@code Accept} and API version. It is only ever served after GitHub confirmed it with a
     * 304 to the requesting credential; see {@link EtagDerivation}.
     */
    public CacheKey sharedBodyKeyFor(String target, HeaderFields headers) {
        Mac mac = newMac();
        update(mac, "shared body");
        for (String name : VARYING_HEADERS) {
            if (!name.equals("Authorization")) {
                update(mac, String.join(", ", headers.all(name)));
            }
        }
        return new CacheKey(target, "shared-" + HexFormat.of().formatHex(mac.doFinal()));
    }

    /** Returns a keyed hash of a credential, for per-credential bookkeeping that must not hold tokens. */
    public String credentialHash(String authorization) {
        Mac mac = newMac();
        update(mac, "credential");
        update(mac, authorization == null ? "" : authorization);
        return HexFormat.of().formatHex(mac.doFinal());
    }

    private Mac newMac() {
        try {
            // Cloning an initialized Mac skips the provider lookup and key setup on every request.
            return (Mac) prototype.clone();
        } catch (CloneNotSupportedException e) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(secret);
                return mac;
            } catch (GeneralSecurityException impossible) {
                throw new IllegalStateException("HmacSHA256 is required by every Java platform", impossible);
            }
        }
    }

    /** Feeds a length-prefixed value, so that ("ab", "c") and ("a", "bc") never collide. */
    private static void update(Mac mac, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        mac.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
        mac.update(bytes);
    }
}
