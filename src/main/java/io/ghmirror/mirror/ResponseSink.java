package io.ghmirror.mirror;

import io.ghmirror.http.HeaderFields;
import java.io.IOException;
import java.io.InputStream;

/**
 * The destination of the pipeline's response, implemented by the HTTP server, which owns compression
 * toward the client and omits bodies for HEAD requests.
 */
public interface ResponseSink {

    /** Sends a response whose body is fully in memory; the sink sets Content-Length. */
    void send(int status, HeaderFields headers, byte[] body) throws IOException;

    /** Sends a response whose body is copied from the stream as it arrives, without Content-Length. */
    void stream(int status, HeaderFields headers, InputStream body) throws IOException;

    /**
     * Returns the status the client actually received when the sink replaced the pipeline's
     * response, such as a 413 for a request body that exceeded its limit while being forwarded.
     */
    default int statusSent(int intended) {
        return intended;
    }

}
