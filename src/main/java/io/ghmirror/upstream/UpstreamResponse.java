package io.ghmirror.upstream;

import io.ghmirror.http.HeaderFields;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A response from the upstream whose body has not been read yet. The body is already decoded
 * when upstream sent it gzip-compressed, so callers always see the bytes GitHub computed its ETag
 * over. Close it when done, or the connection is not returned to the pool.
 */
public final class UpstreamResponse implements AutoCloseable {

    private final int status;
    private final HeaderFields headers;
    private final InputStream body;
    private final String requestUrl;
    private final java.util.concurrent.atomic.AtomicReference<Runnable> onClose = new java.util.concurrent.atomic.AtomicReference<>();

    UpstreamResponse(int status, HeaderFields headers, InputStream body, String requestUrl) {
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.requestUrl = requestUrl;
    }

    public int status() {
        return status;
    }

    /** Returns the end-to-end response headers, without hop-by-hop fields, Content-Length or a gzip Content-Encoding. */
    public HeaderFields headers() {
        return headers;
    }

    /** Returns the decoded body stream; reads fail with an {@link IOException} after the upstream timeout of silence. */
    public InputStream body() {
        return body;
    }

    /**
     * Reads the body into memory unless it is longer than {@code maxBytes}.
     *
     * @return the whole body, or a {@link PartialBody} holding the bytes read so far and the rest of
     *     the stream when the body is longer than the limit
     * @throws UpstreamException when the upstream stalls past the timeout or the connection breaks
     */
    public Body readBody(long maxBytes) throws UpstreamException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(8192);
        byte[] chunk = new byte[16384];
        try {
            while (true) {
                int read = body.read(chunk);
                if (read < 0) {
                    return new CompleteBody(buffer.toByteArray());
                }
                buffer.write(chunk, 0, read);
                if (buffer.size() > maxBytes) {
                    return new PartialBody(buffer.toByteArray(), body);
                }
            }
        } catch (UpstreamTimeoutIOException e) {
            throw new UpstreamException(UpstreamException.Kind.TIMEOUT,
                    "timed out reading the response body from " + requestUrl, e);
        } catch (IOException e) {
            throw new UpstreamException(UpstreamException.Kind.IO,
                    "connection broke while reading the response body from " + requestUrl + ": " + e.getMessage(), e);
        }
    }

    /** Registers an action that runs once, when this response is closed. */
    public void onClose(Runnable action) {
        onClose.set(action);
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // Closing only releases the connection; a failure here has no effect on the response.
        } finally {
            Runnable action = onClose.getAndSet(null);
            if (action != null) {
                action.run();
            }
        }
    }

    /** The result of {@link #readBody}. */
    public sealed interface Body permits CompleteBody, PartialBody {}

    /** A body read completely. */
    public record CompleteBody(byte[] bytes) implements Body {}

    /** The first bytes of a body that exceeded the limit, and the stream of the rest. */
    public record PartialBody(byte[] head, InputStream rest) implements Body {}
}
