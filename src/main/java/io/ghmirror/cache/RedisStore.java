package io.ghmirror.cache;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared cache tier: entries in Redis, visible to every mirror replica that uses the same
 * Redis and key prefix.
 *
 * <p>Each entry is one string key {@code <prefix>e:<sha256hex(target)>:<variant>} holding {@link
 * EntryCodec#encode} bytes, with a TTL of {@link RedisStoreOptions#entryTtl()} that every put
 * renews. Lookups go to the reader endpoint; writes, deletes and purges go to the primary.
 *
 * <p>Redis failures never escape as anything but {@link CacheStoreException}, and no command waits
 * longer than the command timeout. The store starts even when Redis is down and connects once it
 * is reachable; see {@link RedisEndpoint} for retry and logging. {@link #problem()} describes the
 * last failure for readiness checks.
 */
public final class RedisStore implements CacheStore {

    /** The tier name in logs and metric labels. */
    public static final String TIER_NAME = "redis";

    /** Length of the shared key secret, in bytes. */
    public static final int KEY_SECRET_BYTES = 32;

    /** Minimum time between two background refreshes of the size estimate. */
    static final Duration ESTIMATE_INTERVAL = Duration.ofSeconds(30);

    /**
     * Entries whose value length the estimate measures with {@code STRLEN}; beyond this it
     * extrapolates from their average, so one refresh costs a bounded number of commands.
     */
    private static final int ESTIMATE_MEASURED_ENTRIES = 10_000;

    /** {@code SCAN COUNT} hint for purges by target and for the size estimate. */
    private static final long SCAN_PAGE_SIZE = 500;

    /** {@code SCAN COUNT} hint for purges by prefix, which fetch whole entries per page. */
    private static final long PREFIX_SCAN_PAGE_SIZE = 100;

    private static final Logger log = LoggerFactory.getLogger(RedisStore.class);

    private final String keyPrefix;
    private final byte[] keySecretKey;
    private final long entryTtlMillis;
    private final TierCounters counters = new TierCounters();
    private final RedisConnections connections;
    private final RedisEndpoint primary;
    private final RedisEndpoint reader;
    private final SecureRandom random = new SecureRandom();

    private final ExecutorService estimator;
    private final AtomicBoolean estimateRunning = new AtomicBoolean();
    private volatile long estimateStartedNanos;
    private volatile boolean estimateStarted;
    private volatile long estimatedEntries;
    private volatile long estimatedBytes;

    /**
     * Creates the store without a latency observer. Same as {@link #RedisStore(RedisStoreOptions,
     * RedisLatencyObserver)} with {@link RedisLatencyObserver#NONE}.
     */
    public RedisStore(RedisStoreOptions options) {
        this(options, RedisLatencyObserver.NONE);
    }

    /**
     * Creates the store and starts connecting in the background. Succeeds even when Redis is
     * unreachable; operations then throw {@link CacheStoreException} until it is reachable.
     *
     * @param observer receives the duration of every command
     * @throws IllegalArgumentException when {@code redisUrl} is invalid
     */
    public RedisStore(RedisStoreOptions options, RedisLatencyObserver observer) {
        this.keyPrefix = options.keyPrefix();
        this.keySecretKey = utf8(keyPrefix + "key-secret");
        this.entryTtlMillis = options.entryTtl().toMillis();
        this.connections = RedisConnections.open(options, observer);
        this.primary = connections.primary();
        this.reader = connections.reader();
        this.estimator = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "redis-store-size-estimate");
            thread.setDaemon(true);
            return thread;
        });
        if (reader == primary) {
            log.info("Redis store uses {} for reads and writes, key prefix '{}', entry TTL {}",
                    primary.description(), keyPrefix, options.entryTtl());
        } else {
            log.info("Redis store uses {} for writes and {} for reads, key prefix '{}', entry TTL {}",
                    primary.description(), reader.description(), keyPrefix, options.entryTtl());
        }
    }

    /**
     * Returns the entry stored for the key, read from the reader endpoint. An entry that fails to
     * decode or belongs to another target is counted as corrupt, deleted from the primary and
     * reported as a miss.
     *
     * @throws CacheStoreException when Redis fails or times out
     */
    @Override
    public Optional<Entry> get(CacheKey key) {
        byte[] redisKey = entryKey(key);
        byte[] value = counted(() -> reader.execute("GET", redis -> redis.get(redisKey)));
        Optional<Entry> entry = value == null ? Optional.empty() : decode(key, redisKey, value);
        (entry.isPresent() ? counters.hits : counters.misses).increment();
        return entry;
    }

    /**
     * Stores the entry with a fresh TTL, replacing any previous value.
     *
     * @throws CacheStoreException when Redis fails or times out
     */
    @Override
    public void put(CacheKey key, Entry entry) {
        byte[] redisKey = entryKey(key);
        byte[] value = EntryCodec.encode(entry);
        counted(() -> primary.execute("SET", redis -> redis.set(redisKey, value, SetArgs.Builder.px(entryTtlMillis))));
        counters.writes.increment();
    }

    /**
     * Deletes the entry for the key, if any.
     *
     * @throws CacheStoreException when Redis fails or times out
     */
    @Override
    public void remove(CacheKey key) {
        byte[] redisKey = entryKey(key);
        counted(() -> primary.execute("DEL", redis -> redis.del(redisKey)));
    }

    /**
     * Deletes every variant of the target, found with {@code SCAN MATCH
     * <prefix>e:<sha256hex(target)>:*} on the primary.
     *
     * @return the number of entries deleted
     * @throws CacheStoreException when Redis fails or times out; entries deleted before the
     *     failure stay deleted
     */
    @Override
    public long removeTarget(String target) {
        byte[] pattern = utf8(escapeGlob(keyPrefix) + "e:" + sha256Hex(target) + ":*");
        return counted(() -> scanAndDelete(pattern));
    }

    /**
     * Deletes every entry whose target starts with the prefix; an empty prefix deletes all entries
     * under this store's key prefix and nothing else.
     *
     * <p>Keys hash the target, so a non-empty prefix requires reading every entry: this scans
     * {@code <prefix>e:*}, fetches each page with {@code MGET} and decodes the targets. That is
     * slow on a large Redis, which is acceptable for a rare admin operation. A secondary index
     * (for example a sorted set of targets) was not chosen because every put and every TTL expiry
     * would have to keep it consistent, and in Redis Cluster it would be a single hot key. Corrupt
     * entries met on the way are deleted and counted, but not included in the result.
     *
     * @return the number of entries deleted
     * @throws CacheStoreException when Redis fails or times out; entries deleted before the
     *     failure stay deleted
     */
    @Override
    public long removeTargetPrefix(String prefix) {
        byte[] pattern = utf8(escapeGlob(keyPrefix) + "e:*");
        if (prefix.isEmpty()) {
            return counted(() -> scanAndDelete(pattern));
        }
        return counted(() -> scanAndDeleteByTargetPrefix(pattern, prefix));
    }

    /**
     * Returns an estimate of the key and value bytes of this store's entries, without Redis's own
     * per-key overhead. See {@link #entryCount()} for how and when it is refreshed.
     */
    @Override
    public long sizeBytes() {
        refreshEstimateIfDue();
        return estimatedBytes;
    }

    /**
     * Returns an estimate of the number of entries. A background {@code SCAN} refreshes the
     * estimate at most every 30 seconds, started by a call to this method or {@link #sizeBytes()},
     * so the value may be up to about 30 seconds old and is 0 before the first scan completes.
     * The call only reads the last estimate and hands the refresh to a background thread, so it
     * does not block or throw. A failed refresh keeps the previous estimate.
     */
    @Override
    public long entryCount() {
        refreshEstimateIfDue();
        return estimatedEntries;
    }

    /** Returns {@value #TIER_NAME}. */
    @Override
    public String name() {
        return TIER_NAME;
    }

    /**
     * Returns the running totals. Errors count failed calls to this store's public methods, not
     * failed background size scans. Entries that Redis expires are not counted as evictions,
     * because Redis removes them without telling the store.
     */
    @Override
    public TierCounters counters() {
        return counters;
    }

    /**
     * Returns the secret for keyed cache-key hashes that every replica sharing this Redis and key
     * prefix uses. The first caller stores 32 random bytes with {@code SET <prefix>key-secret ...
     * NX}; every caller then reads the stored value back from the primary.
     *
     * <p>The secret key has no TTL. Under a {@code maxmemory} policy of {@code allkeys-*} Redis may
     * still evict it, after which replicas derive new cache keys and start with a cold cache; the
     * {@code volatile-*} policies evict only entries, which all have a TTL.
     *
     * @return a new array with the 32-byte secret
     * @throws CacheStoreException when Redis is unreachable or fails, when the key vanished
     *     between the two commands, or when its value has another length
     */
    public byte[] keySecret() {
        return counted(() -> {
            byte[] candidate = new byte[KEY_SECRET_BYTES];
            random.nextBytes(candidate);
            primary.execute("SET", redis -> redis.set(keySecretKey, candidate, SetArgs.Builder.nx()));
            byte[] stored = primary.execute("GET", redis -> redis.get(keySecretKey));
            String keyName = keyPrefix + "key-secret";
            if (stored == null) {
                throw new CacheStoreException(primary.description() + " has no " + keyName
                        + " right after SET NX; it was deleted or evicted in between, so retry");
            }
            if (stored.length != KEY_SECRET_BYTES) {
                throw new CacheStoreException("invalid " + keyName + " on " + primary.description()
                        + ": expected " + KEY_SECRET_BYTES + " bytes but found " + stored.length
                        + ". Delete that key so that a new secret is generated");
            }
            return stored;
        });
    }

    /**
     * Returns {@code null} when the last Redis command succeeded on every endpoint, otherwise a
     * description of the last failure, for readiness checks. The description names the endpoint
     * and never contains the password.
     */
    public String problem() {
        String primaryProblem = primary.problem();
        if (primaryProblem != null || reader == primary) {
            return primaryProblem;
        }
        return reader.problem();
    }

    /** Stops the size estimator and closes the Redis connections and client threads. */
    @Override
    public void close() {
        estimator.shutdownNow();
        connections.close();
    }

    private Optional<Entry> decode(CacheKey key, byte[] redisKey, byte[] value) {
        try {
            Entry entry = EntryCodec.decode(value);
            if (!entry.target().equals(key.target())) {
                throw new CorruptEntryException("entry under this key has another target: " + entry.target());
            }
            return Optional.of(entry);
        } catch (CorruptEntryException e) {
            counters.corrupt.increment();
            log.warn("Deleting a corrupt Redis entry for target {}: {}", key.target(), e.getMessage());
            deleteCorrupt(List.of(redisKey));
            return Optional.empty();
        }
    }

    /** Deletes corrupt keys; a failure is counted and logged by the endpoint but not thrown. */
    private void deleteCorrupt(List<byte[]> redisKeys) {
        try {
            delete(redisKeys);
        } catch (CacheStoreException e) {
            counters.errors.increment();
        }
    }

    private long delete(List<byte[]> redisKeys) {
        if (redisKeys.isEmpty()) {
            return 0;
        }
        byte[][] keys = redisKeys.toArray(byte[][]::new);
        Long deleted = primary.execute("DEL", redis -> redis.del(keys));
        return deleted == null ? 0 : deleted;
    }

    private long scanAndDelete(byte[] pattern) {
        long deleted = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        while (true) {
            KeyScanCursor<byte[]> page = scan(primary, cursor, pattern, SCAN_PAGE_SIZE);
            deleted += delete(page.getKeys());
            if (page.isFinished()) {
                return deleted;
            }
            cursor = page;
        }
    }

    private long scanAndDeleteByTargetPrefix(byte[] pattern, String targetPrefix) {
        long deleted = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        while (true) {
            KeyScanCursor<byte[]> page = scan(primary, cursor, pattern, PREFIX_SCAN_PAGE_SIZE);
            if (!page.getKeys().isEmpty()) {
                byte[][] keys = page.getKeys().toArray(byte[][]::new);
                List<KeyValue<byte[], byte[]>> values = primary.execute("MGET", redis -> redis.mget(keys));
                List<byte[]> matching = new ArrayList<>();
                List<byte[]> corrupt = new ArrayList<>();
                for (KeyValue<byte[], byte[]> keyValue : values) {
                    if (!keyValue.hasValue()) {
                        continue;
                    }
                    try {
                        if (EntryCodec.decode(keyValue.getValue()).target().startsWith(targetPrefix)) {
                            matching.add(keyValue.getKey());
                        }
                    } catch (CorruptEntryException e) {
                        counters.corrupt.increment();
                        corrupt.add(keyValue.getKey());
                    }
                }
                deleted += delete(matching);
                if (!corrupt.isEmpty()) {
                    log.warn("Deleting {} corrupt Redis entries found while purging targets under {}",
                            corrupt.size(), targetPrefix);
                    delete(corrupt);
                }
            }
            if (page.isFinished()) {
                return deleted;
            }
            cursor = page;
        }
    }

    private static KeyScanCursor<byte[]> scan(
            RedisEndpoint endpoint, ScanCursor cursor, byte[] pattern, long pageSize) {
        ScanArgs args = ScanArgs.Builder.matches(pattern).limit(pageSize);
        return endpoint.execute("SCAN", redis -> redis.scan(cursor, args));
    }

    /** Starts a background refresh when none is running and the last one started 30 s ago or more. */
    private void refreshEstimateIfDue() {
        if (!estimateDue() || !estimateRunning.compareAndSet(false, true)) {
            return;
        }
        // Another thread may have finished a refresh between the check and the flag change.
        if (!estimateDue()) {
            estimateRunning.set(false);
            return;
        }
        estimateStartedNanos = System.nanoTime();
        estimateStarted = true;
        try {
            estimator.execute(() -> {
                try {
                    refreshEstimate();
                } catch (CacheStoreException e) {
                    log.debug("Redis size estimate was not refreshed: {}", e.getMessage());
                } finally {
                    estimateRunning.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            estimateRunning.set(false);
        }
    }

    private boolean estimateDue() {
        return !estimateStarted || System.nanoTime() - estimateStartedNanos >= ESTIMATE_INTERVAL.toNanos();
    }

    /**
     * Scans all entry keys on the reader, measures the value length of the first {@value
     * #ESTIMATE_MEASURED_ENTRIES} with pipelined {@code STRLEN} and extrapolates the rest. SCAN may
     * return a key twice while Redis resizes its table, so the count is an estimate too.
     */
    private void refreshEstimate() {
        byte[] pattern = utf8(escapeGlob(keyPrefix) + "e:*");
        long entries = 0;
        long keyBytes = 0;
        long measuredEntries = 0;
        long measuredValueBytes = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        while (true) {
            KeyScanCursor<byte[]> page = scan(reader, cursor, pattern, SCAN_PAGE_SIZE);
            List<byte[]> keys = page.getKeys();
            entries += keys.size();
            for (byte[] key : keys) {
                keyBytes += key.length;
            }
            int toMeasure = (int) Math.min(keys.size(), ESTIMATE_MEASURED_ENTRIES - measuredEntries);
            if (toMeasure > 0) {
                List<byte[]> sample = keys.subList(0, toMeasure);
                measuredValueBytes += reader.execute("STRLEN", redis -> totalLength(redis, sample));
                measuredEntries += toMeasure;
            }
            if (page.isFinished()) {
                break;
            }
            cursor = page;
        }
        long valueBytes = measuredEntries == 0
                ? 0
                : Math.round((double) measuredValueBytes / measuredEntries * entries);
        estimatedEntries = entries;
        estimatedBytes = keyBytes + valueBytes;
    }

    /** Sends one {@code STRLEN} per key without waiting in between and sums the replies. */
    private static CompletableFuture<Long> totalLength(
            RedisClusterAsyncCommands<byte[], byte[]> redis, List<byte[]> keys) {
        List<CompletableFuture<Long>> lengths = new ArrayList<>(keys.size());
        for (byte[] key : keys) {
            RedisFuture<Long> length = redis.strlen(key);
            lengths.add(length.toCompletableFuture());
        }
        return CompletableFuture.allOf(lengths.toArray(CompletableFuture[]::new))
                .thenApply(done -> lengths.stream().mapToLong(CompletableFuture::join).sum());
    }

    private <T> T counted(Supplier<T> operation) {
        try {
            return operation.get();
        } catch (CacheStoreException e) {
            counters.errors.increment();
            throw e;
        }
    }

    private byte[] entryKey(CacheKey key) {
        return utf8(keyPrefix + "e:" + sha256Hex(key.target()) + ":" + key.variant());
    }

    static String sha256Hex(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(utf8(text)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** Escapes the characters that are special in Redis glob patterns: {@code * ? [ ] \}. */
    static String escapeGlob(String text) {
        StringBuilder escaped = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
