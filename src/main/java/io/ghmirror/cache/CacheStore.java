package io.ghmirror.cache;

import java.util.Optional;

/**
 * A place where entries live: memory, an embedded database or Redis.
 *
 * <p>Implementations are safe for concurrent use by many request threads. A store reports its
 * own failures by throwing {@link CacheStoreException}; the caller decides how to degrade.
 */
public interface CacheStore extends AutoCloseable {

    /** Returns the stored entry for the key, or empty when there is none or it was unreadable. */
    Optional<Entry> get(CacheKey key);

    /** Stores the entry under the key, replacing any previous one. */
    void put(CacheKey key, Entry entry);

    /** Removes the entry for the key; does nothing when there is none. */
    void remove(CacheKey key);

    /**
     * Removes every variant stored for the exact target (path and query).
     *
     * @return the number of entries removed
     */
    long removeTarget(String target);

    /**
     * Removes every entry whose target starts with the prefix; an empty prefix removes everything.
     *
     * @return the number of entries removed
     */
    long removeTargetPrefix(String prefix);

    /** Returns the approximate number of bytes the stored entries take in this store. */
    long sizeBytes();

    /** Returns the number of entries in this store. */
    long entryCount();

    /** Returns the tier name used in logs and metric labels, such as {@code memory}. */
    String name();

    /** Returns the running operation totals of this store. */
    TierCounters counters();

    @Override
    default void close() {}
}
