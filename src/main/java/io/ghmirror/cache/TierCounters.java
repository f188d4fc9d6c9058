package io.ghmirror.cache;

import java.util.concurrent.atomic.LongAdder;

/** Running totals of one store's operations, read by the metrics exporter. */
public final class TierCounters {

    /** Lookups that found an entry. */
    public final LongAdder hits = new LongAdder();
    /** Lookups that found nothing. */
    public final LongAdder misses = new LongAdder();
    /** Entries written, new or replaced. */
    public final LongAdder writes = new LongAdder();
    /** Entries removed to stay within the store's byte budget or because their TTL ended. */
    public final LongAdder evictions = new LongAdder();
    /** Operations that failed with a store error such as a timeout or an I/O failure. */
    public final LongAdder errors = new LongAdder();
    /** Stored entries that failed to decode or verify and were deleted. */
    public final LongAdder corrupt = new LongAdder();
}
