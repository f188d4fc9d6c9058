package io.ghmirror.fake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;


/** ETag computation and the evaluation of {@code If-None-Match} and {@code If-Modified-Since}. */
final class Conditionals {

    private static final List<String> ETAG_HEADERS = List.of("Accept", "Authorization", "Cookie");

    private Conditionals() {
    }

    /**
     * Returns the strong ETag, quoted, that GitHub derives from the request and the uncompressed body: the SHA-256
     * of each present {@code Accept}, {@code Authorization} and {@code Cookie} value followed by {@code :}, then
     * the body. A header sent on several lines counts as its values joined with {@code ", "}.
     */
    static String etag(RecordedRequest request, byte[] body) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        for (String name : ETAG_HEADERS) {
            String value = joinedHeader(request, name);
            if (value != null) {
                sha256.update(value.getBytes(StandardCharsets.UTF_8));
                sha256.update((byte) ':');
            }
        }
        return "\"" + HexFormat.of().formatHex(sha256.digest(body)) + "\"";
    }

    /**
     * Returns whether a GET or HEAD should get a 304. {@code If-None-Match} uses the weak comparison of
     * RFC 9110 and accepts {@code *}. {@code If-Modified-Since} is evaluated only when {@code If-None-Match} is
     * absent and the resource has a {@code Last-Modified} time, and an unparsable date is ignored.
     */
    static boolean isNotModified(RecordedRequest request, String etag, Instant lastModified) {
        String ifNoneMatch = joinedHeader(request, "If-None-Match");
        if (ifNoneMatch != null) {
            return matchesAny(ifNoneMatch, etag);
        }
        String ifModifiedSince = request.header("If-Modified-Since");
        if (ifModifiedSince == null || lastModified == null) {
            return false;
        }
        Instant since = parseHttpDate(ifModifiedSince);
        return since != null && lastModified.getEpochSecond() <= since.getEpochSecond();
    }

    /**
     * Parses an IMF-fixdate such as {@code Sun, 06 Nov 1994 08:49:37 GMT}, or returns null.
     * NOTE: the obsolete RFC 850 and asctime formats, which RFC 9110 requires recipients to parse, are ignored.
     */
    static Instant parseHttpDate(String value) {
        try {
            return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Returns whether an {@code If-None-Match} list contains {@code *} or an entity tag weakly equal to etag. */
    static boolean matchesAny(String ifNoneMatch, String etag) {
        String opaque = stripWeak(etag);
        for (String candidate : entityTags(ifNoneMatch)) {
            if (candidate.equals("*") || stripWeak(candidate).equals(opaque)) {
                return true;
            }
        }
        return false;
    }

    /** Splits an {@code If-None-Match} value into entity tags, honouring commas inside quotes. */
    static List<String> entityTags(String headerValue) {
        List<String> tags = new ArrayList<>();
        int i = 0;
        int length = headerValue.length();
        while (i < length) {
            char c = headerValue.charAt(i);
            if (c == ',' || Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            if (headerValue.startsWith("W/", i)) {
                i += 2;
            }
            if (i < length && headerValue.charAt(i) == '"') {
                int close = headerValue.indexOf('"', i + 1);
                i = close < 0 ? length : close + 1;
            } else {
                while (i < length && headerValue.charAt(i) != ',') {
                    i++;
                }
            }
            tags.add(headerValue.substring(start, i).trim());
        }
        return tags;
    }

    /** Returns the header's values joined with {@code ", "}, or null when the request did not send it. */
    static String joinedHeader(RecordedRequest request, String name) {
        List<String> values = request.headerValues(name);
        return values.isEmpty() ? null : String.join(", ", values);
    }

    private static String stripWeak(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
