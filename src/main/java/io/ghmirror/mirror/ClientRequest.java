package io.ghmirror.mirror;

import io.ghmirror.http.HeaderFields;
import java.io.InputStream;
import java.util.Objects;

/**
 * A request as the client sent it, adapted from the HTTP server.
 *
 * @param method the HTTP method
 * @param rawPath the path exactly as received, percent-encoding intact, starting with {@code /}
 * @param rawQuery the query exactly as received, without {@code ?}, or {@code null} when absent
 * @param headers the request headers as received
 * @param body the request body stream, empty for requests without one
 * @param contentLength the declared body length, or -1 when unknown (chunked)
 * @param remoteAddress the client address, for logs
 * @param publicBase the mirror's public base URL that upstream URLs are rewritten to
 */
public record ClientRequest(
        String method,
        String rawPath,
        String rawQuery,
        HeaderFields headers,
        InputStream body,
        long contentLength,
        String remoteAddress,
        String publicBase) {

    public ClientRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(rawPath, "rawPath");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(publicBase, "publicBase");
    }

    /** Returns the raw path and query, as forwarded upstream. */
    public String target() {
        return rawQuery == null ? rawPath : rawPath + "?" + rawQuery;
    }

    /** Returns whether the method is GET or HEAD, the methods whose responses are cached. */
    public boolean isRead() {
        return method.equals("GET") || method.equals("HEAD");
    }
}
