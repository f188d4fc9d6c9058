package io.ghmirror.cache;

import java.util.Objects;

/**
 * Identity of a stored response.
 *
 * @param target the request target as received (raw path and query), never containing a secret
 * @param variant hex digest over the credential and the varying request headers; a keyed hash,
 *     so it cannot be reversed into a token
 */
public record CacheKey(String target, String variant) {

    public CacheKey {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(variant, "variant");
    }

    /** Returns a single string form, {@code variant + " " + target}, for stores keyed by strings. */
    public String asString() {
        return variant + " " + target;
    }
}
