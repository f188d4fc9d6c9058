package io.ghmirror.mirror;

import io.ghmirror.cache.Entry;
import io.ghmirror.http.HeaderFields;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Evaluates a client's own conditional headers against an entry (RFC 9110 section 13). */
final class Validators {

    private Validators() {}

    /**
     * Returns whether the client's {@code If-None-Match}, or else its {@code If-Modified-Since},
     * shows the client already has this entry, so a 304 without body suffices.
     */
    static boolean clientHasCurrent(HeaderFields request, Entry entry) {
        var ifNoneMatch = request.all("If-None-Match");
        if (!ifNoneMatch.isEmpty()) {
            if (entry.etag() == null) {
                return false;
            }
            String current = opaque(entry.etag());
            for (String value : ifNoneMatch) {
                for (String candidate : value.split(",")) {
                    String tag = candidate.trim();
                    if (tag.equals("*") || opaque(tag).equals(current)) {
                        return true; // weak comparison, as RFC 9110 section 13.1.2 requires for If-None-Match
                    }
                }
            }
            return false;
        }
        var ifModifiedSince = request.first("If-Modified-Since");
        if (ifModifiedSince.isPresent() && entry.lastModified() != null) {
            try {
                ZonedDateTime since = ZonedDateTime.parse(ifModifiedSince.get().trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                ZonedDateTime modified = ZonedDateTime.parse(entry.lastModified().trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return !modified.isAfter(since);
            } catch (DateTimeParseException e) {
                return false; // an invalid date is ignored (RFC 9110 section 13.1.3)
            }
        }
        return false;
    }

    /** Strips the weak prefix: weak comparison looks only at the opaque tag. */
    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
