package io.ghmirror.config;

/** Which store backs the memory tier. */
public enum CacheType {
    /** Memory only: the cache is lost on restart. */
    MEMORY,
    /** Memory in front of an embedded SQLite database in the cache directory. */
    DISK,
    /** Memory in front of a Redis shared by every replica. */
    REDIS
}
