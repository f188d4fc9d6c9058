package io.ghmirror.upstream;

/** The upstream could not be reached or did not respond in time. */
public class UpstreamException extends Exception {

    /** What went wrong, which decides the status the client receives. */
    public enum Kind {
        /** The connection could not be opened: refused, unresolvable host, TLS failure. */
        CONNECT,
        /** The upstream did not respond, or did not finish its response, within the configured timeout. */
        TIMEOUT,
        /** The connection broke while the request or response was in transit. */
        IO,
        /** The mirror did not contact the upstream because it is marked offline. */
        OFFLINE
    }

    private final Kind kind;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
