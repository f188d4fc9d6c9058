package io.ghmirror.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.util.Optional;

/**
 * The first tier: entries on the heap, bounded by a byte budget. Entries are immutable, so a
 * request that is writing an entry's body keeps a reference to it and eviction never breaks it.
 */
public final class MemoryStore implements CacheStore {

    private final Cache<CacheKey, Entry> entries;
    private final TierCounters counters = new TierCounters();

    /**
     * Creates a store holding at most {@code maxBytes} of entries by their {@link Entry#weight()}.
     *
     * @throws IllegalArgumentException when maxBytes is negative
     */
    public MemoryStore(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        this.entries = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((CacheKey key, Entry entry) -> entry.weight())
                .executor(Runnable::run)
                .removalListener((CacheKey key, Entry entry, RemovalCause cause) -> {
                    if (cause.wasEvicted()) {
                        counters.evictions.increment();
                    }
                })
                .build();
    }

    @Override
    public Optional<Entry> get(CacheKey key) {
        Entry entry = entries.getIfPresent(key);
        (entry == null ? counters.misses : counters.hits).increment();
        return Optional.ofNullable(entry);
    }

    @Override
    public void put(CacheKey key, Entry entry) {
        entries.put(key, entry);
        counters.writes.increment();
    }

    @Override
    public void remove(CacheKey key) {
        entries.invalidate(key);
    }

    @Override
    public long removeTarget(String target) {
        return removeMatching(key -> key.target().equals(target));
    }

    @Override
    public long removeTargetPrefix(String prefix) {
        return removeMatching(key -> key.target().startsWith(prefix));
    }

    private long removeMatching(java.util.function.Predicate<CacheKey> predicate) {
        long removed = 0;
        for (CacheKey key : entries.asMap().keySet()) {
            if (predicate.test(key) && entries.asMap().remove(key) != null) {
                removed++;
            }
        }
        return removed;
    }

    @Override
    public long sizeBytes() {
        // Caffeine tracks the weighted size exactly, so the tier keeps no counter of its own.
        return entries.policy().eviction().map(eviction -> eviction.weightedSize().orElse(0L)).orElse(0L);
    }

    @Override
    public long entryCount() {
        return entries.estimatedSize();
    }

    /** Applies pending evictions now; tests call it to observe the budget without waiting. */
    public void cleanUp() {
        entries.cleanUp();
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public TierCounters counters() {
        return counters;
    }

    @Override
    public void close() {
        entries.invalidateAll();
    }
}
