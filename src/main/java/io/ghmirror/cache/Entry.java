package io.ghmirror.cache;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A stored upstream response.
 *
 * @param target the request target (path and query) the response answered
 * @param status the HTTP status code, 200 for every entry the mirror stores today
 * @param headers the end-to-end response headers in upstream order, hop-by-hop fields removed
 * @param body the uncompressed body bytes exactly as upstream computed its ETag over them
 * @param etag the {@code ETag} validator, or {@code null} when upstream sent none
 * @param lastModified the {@code Last-Modified} validator, or {@code null} when upstream sent none
 * @param storedAtMillis when the response was stored or last revalidated, in epoch milliseconds
 */
public record Entry(
        String target,
        int status,
        List<Header> headers,
        byte[] body,
        String etag,
        String lastModified,
        long storedAtMillis) {

    public Entry {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        headers = List.copyOf(headers);
        if (etag == null && lastModified == null) {
            throw new IllegalArgumentException("an entry needs an ETag or a Last-Modified validator");
        }
    }

    /** Returns the first value of the named header, compared case-insensitively. */
    public Optional<String> header(String name) {
        for (Header header : headers) {
            if (header.name().equalsIgnoreCase(name)) {
                return Optional.of(header.value());
            }
        }
        return Optional.empty();
    }

    /** Returns an estimate of the heap bytes this entry occupies, used to bound the memory tier. */
    public int weight() {
        long size = 96L + body.length + target.length() * 2L;
        for (Header header : headers) {
            size += 48L + 2L * (header.name().length() + header.value().length());
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }
}
