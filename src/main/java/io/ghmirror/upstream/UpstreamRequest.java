package io.ghmirror.upstream;

import io.ghmirror.http.HeaderFields;
import java.io.InputStream;
import java.util.Objects;

/**
 * A request to send to the configured upstream.
 *
 * @param method the HTTP method, unchanged from the client
 * @param target the raw path and query, starting with {@code /}, appended to the upstream base URL
 * @param headers end-to-end headers to send; hop-by-hop fields are already removed
 * @param body the request body to stream, or {@code null} for none
 * @param contentLength the body length in bytes, or -1 when unknown (sent chunked)
 */
public record UpstreamRequest(String method, String target, HeaderFields headers, InputStream body, long contentLength) {

    public UpstreamRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(headers, "headers");
        if (!target.startsWith("/")) {
            throw new IllegalArgumentException("target must start with '/': " + target);
        }
    }
}
