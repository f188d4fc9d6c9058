package io.ghmirror.upstream;

import java.io.IOException;

/** A read from the upstream body stream waited longer than the upstream timeout. */
class UpstreamTimeoutIOException extends IOException {

    UpstreamTimeoutIOException(String message, Throwable cause) {
        super(message, cause);
    }
}
