package io.ghmirror.fake;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * Stored response: a default representation, an optional raw one chosen by the {@code Accept} header, the
 * {@code Last-Modified} time and the tokens that may read it.
 *
 * @param json          representation sent unless the request accepts the raw media type
 * @param raw           representation for {@code Accept: application/vnd.github.raw} and its variants, or null
 * @param lastModified  time sent as {@code Last-Modified}, or null to send none
 * @param readerTokens  tokens allowed to read the resource, or an empty set for a public resource
 */
record Resource(Representation json, Representation raw, Instant lastModified, Set<String> readerTokens) {

    static final String JSON_TYPE = "application/json; charset=utf-8";
    static final String JSON_MEDIA_TYPE = "github.v3; format=json";
    static final String RAW_MEDIA_TYPE = "github.v3; param=raw";

    /** Body with the {@code Content-Type} and {@code X-GitHub-Media-Type} values to send with it. */
    record Representation(byte[] body, String contentType, String mediaType) {

        static Representation json(String json) {
            return new Representation(json.getBytes(StandardCharsets.UTF_8), JSON_TYPE, JSON_MEDIA_TYPE);
        }

        boolean sameAs(Representation other) {
            return other != null && Arrays.equals(body, other.body) && contentType.equals(other.contentType)
                    && mediaType.equals(other.mediaType);
        }
    }

    Resource {
        readerTokens = Set.copyOf(readerTokens);
    }

    static Resource publicJson(String json, Instant lastModified) {
        return new Resource(Representation.json(json), null, lastModified, Set.of());
    }

    /** Selects the representation for the request's {@code Accept} value, which may be null. */
    Representation select(String accept) {
        if (raw != null && accept != null && acceptsRaw(accept)) {
            return raw;
        }
        return json;
    }

    boolean isReadableBy(String authorization) {
        // Set.copyOf returns a set whose contains(null) throws, so anonymous callers are checked first.
        return readerTokens.isEmpty() || (authorization != null
                && readerTokens.contains(Credentials.tokenOf(authorization)));
    }

    /** Returns whether both resources would send the same bodies to the same readers. */
    boolean sameContentAs(Resource other) {
        boolean sameRaw = raw == null ? other.raw == null : raw.sameAs(other.raw);
        return json.sameAs(other.json) && sameRaw && readerTokens.equals(other.readerTokens);
    }

    Resource withLastModified(Instant time) {
        return new Resource(json, raw, time, readerTokens);
    }

    private static boolean acceptsRaw(String accept) {
        for (String range : accept.split(",")) {
            String mediaType = range.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            switch (mediaType) {
                case "application/vnd.github.raw", "application/vnd.github.v3.raw",
                        "application/vnd.github.raw+json", "application/vnd.github.v3.raw+json" -> {
                    return true;
                }
                default -> {
                }
            }
        }
        return false;
    }
}
