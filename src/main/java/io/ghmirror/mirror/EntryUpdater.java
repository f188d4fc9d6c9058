package io.ghmirror.mirror;

import io.ghmirror.cache.Entry;
import io.ghmirror.cache.Header;
import io.ghmirror.http.HeaderFields;
import java.util.Locale;
import java.util.Set;

/**
 * Freshens a stored entry with the headers of a 304 (RFC 9111 section 4.3.4): each field the 304
 * carries replaces the stored fields of that name. GitHub's 304s carry the current {@code Link},
 * {@code X-RateLimit-*}, {@code Date} and {@code ETag}, so the client sees today's pagination and
 * quota, not the ones from when the body was stored.
 */
final class EntryUpdater {

    /** Fields that describe the 304 message itself rather than the stored representation. */
    private static final Set<String> NOT_UPDATED = Set.of(
            "content-length", "content-encoding", "transfer-encoding", "content-range", "content-type");

    private EntryUpdater() {}

    /** Returns the entry with the 304's headers merged in and its stored-at time set to now. */
    static Entry freshen(Entry stored, HeaderFields notModified, long nowMillis) {
        HeaderFields merged = new HeaderFields(stored.headers());
        HeaderFields updates = new HeaderFields();
        for (Header header : notModified) {
            if (!NOT_UPDATED.contains(header.name().toLowerCase(Locale.ROOT))) {
                updates.add(header.name(), header.value());
            }
        }
        for (Header header : updates) {
            merged.remove(header.name());
        }
        for (Header header : updates) {
            merged.add(header.name(), header.value());
        }
        String etag = merged.first("ETag").orElse(stored.etag());
        String lastModified = merged.first("Last-Modified").orElse(stored.lastModified());
        return new Entry(stored.target(), stored.status(), merged.toList(), stored.body(), etag, lastModified, nowMillis);
    }

    /**
     * Returns whether the change from {@code before} to {@code after} matters to a later reader of
     * the persistent tier: a new validator or new pagination links. Date and rate-limit headers change
     * on every 304 and are refreshed by the next revalidation anyway.
     */
    static boolean significantChange(Entry before, Entry after) {
        return !java.util.Objects.equals(before.etag(), after.etag())
                || !java.util.Objects.equals(before.lastModified(), after.lastModified())
                || !java.util.Objects.equals(before.header("Link"), after.header("Link"));
    }
}
