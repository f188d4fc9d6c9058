package io.ghmirror.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory tier in front of an optional persistent tier (disk or Redis). A miss in memory reads
 * the second tier and promotes what it finds. A failing second tier never fails a request: its
 * errors are counted by the store, which also logs them once per outage, and the lookup continues
 * as a miss.
 */
public final class TieredCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TieredCache.class);

    private final MemoryStore memory;
    private final CacheStore second;

    /**
     * @param memory the first tier
     * @param second the persistent tier, or {@code null} for a memory-only cache
     */
    public TieredCache(MemoryStore memory, CacheStore second) {
        this.memory = memory;
        this.second = second;
    }

    /** An entry and the name of the tier that had it. */
    public record Lookup(Entry entry, String tier) {}

    /** Returns the entry for the key from the first tier that has it. */
    public Optional<Lookup> get(CacheKey key) {
        Optional<Entry> cached = memory.get(key);
        if (cached.isPresent()) {
            return Optional.of(new Lookup(cached.get(), memory.name()));
        }
        if (second == null) {
            return Optional.empty();
        }
        try {
            Optional<Entry> stored = second.get(key);
            if (stored.isPresent()) {
                memory.put(key, stored.get());
                return Optional.of(new Lookup(stored.get(), second.name()));
            }
        } catch (CacheStoreException e) {
            log.debug("Lookup in the {} tier failed: {}", second.name(), e.getMessage());
        }
        return Optional.empty();
    }

    /** Stores the entry in every tier. */
    public void put(CacheKey key, Entry entry) {
        memory.put(key, entry);
        writeSecond(key, entry);
    }

    /**
     * Stores a revalidated entry. The persistent tier is rewritten only when {@code persist} is
     * true, because a 304 changes headers such as {@code Date} on every request and rewriting the
     * disk or Redis for each hit would cost a write per read.
     */
    public void refresh(CacheKey key, Entry entry, boolean persist) {
        memory.put(key, entry);
        if (persist) {
            writeSecond(key, entry);
        }
    }

    private void writeSecond(CacheKey key, Entry entry) {
        if (second == null) {
            return;
        }
        try {
            second.put(key, entry);
        } catch (CacheStoreException e) {
            log.debug("Write to the {} tier failed: {}", second.name(), e.getMessage());
        }
    }

    /** Removes the key from every tier. */
    public void remove(CacheKey key) {
        memory.remove(key);
        if (second != null) {
            try {
                second.remove(key);
            } catch (CacheStoreException e) {
                log.debug("Removal from the {} tier failed: {}", second.name(), e.getMessage());
            }
        }
    }

    /**
     * Removes every variant of the target from every tier.
     *
     * @return the number of entries removed from the tier that had the most
     * @throws CacheStoreException when the persistent tier failed, after the memory tier was purged
     */
    public long removeTarget(String target) {
        long removed = memory.removeTarget(target);
        if (second != null) {
            removed = Math.max(removed, second.removeTarget(target));
        }
        return removed;
    }

    /**
     * Removes every entry whose target starts with the prefix from every tier.
     *
     * @return the number of entries removed from the tier that had the most
     * @throws CacheStoreException when the persistent tier failed, after the memory tier was purged
     */
    public long removeTargetPrefix(String prefix) {
        long removed = memory.removeTargetPrefix(prefix);
        if (second != null) {
            removed = Math.max(removed, second.removeTargetPrefix(prefix));
        }
        return removed;
    }

    /** Returns the tiers in lookup order. */
    public List<CacheStore> tiers() {
        List<CacheStore> tiers = new ArrayList<>();
        tiers.add(memory);
        if (second != null) {
            tiers.add(second);
        }
        return tiers;
    }

    public MemoryStore memory() {
        return memory;
    }

    /** Returns the persistent tier, or empty for a memory-only cache. */
    public Optional<CacheStore> second() {
        return Optional.ofNullable(second);
    }

    @Override
    public void close() {
        memory.close();
        if (second != null) {
            second.close();
        }
    }
}
