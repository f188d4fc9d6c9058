package io.ghmirror.cache;

/** A cache store operation failed, for example because Redis is unreachable or the disk is full. */
public class CacheStoreException extends RuntimeException {

    public CacheStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public CacheStoreException(String message) {
        super(message);
    }
}
