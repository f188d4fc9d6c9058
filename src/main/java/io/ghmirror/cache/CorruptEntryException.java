package io.ghmirror.cache;

/** Stored bytes could not be decoded into a valid entry. */
public class CorruptEntryException extends RuntimeException {

    public CorruptEntryException(String message) {
        super(message);
    }

    public CorruptEntryException(String message, Throwable cause) {
        super(message, cause);
    }
}
