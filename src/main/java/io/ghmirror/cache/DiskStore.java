package io.ghmirror.cache;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The embedded persistent tier: entries in an SQLite database in the cache directory, bounded by
 * a byte budget with least-recently-used eviction.
 *
 * <p>The database runs in WAL mode. One write connection, guarded by a {@link ReentrantLock},
 * makes every change, and a small pool of read-only connections serves lookups concurrently with
 * it. SQLite calls are JNI calls, which pin a virtual thread to its carrier while they run, so
 * the pool size also bounds how many carriers reads can pin at once.
 *
 * <p>A lock file keeps a second process from opening the same directory. Every entry is stored in
 * the {@link EntryCodec} format, and an entry that fails to decode is deleted and reported as a
 * miss. Database failures are counted, logged once per outage and thrown as
 * {@link CacheStoreException}, and {@link #problem()} reports the current one.
 */
public final class DiskStore implements CacheStore {

    /** Name of the SQLite database file inside the cache directory. */
    public static final String DATABASE_FILE_NAME = "cache.db";

    private static final Logger LOG = LoggerFactory.getLogger(DiskStore.class);

    /*
     * Last-access times are recorded in memory on each hit. One transaction writes them: the
     * background flush every ACCESS_FLUSH_INTERVAL_MILLIS, an early flush once
     * ACCESS_FLUSH_THRESHOLD keys are waiting, the start of every eviction and close(). Because
     * eviction flushes first, the LRU order it uses includes every recorded hit. A crash loses at
     * most the times recorded since the last flush, which only changes which entries go next.
     * Writing the time on each hit, or on each hit whose stored time is older than N seconds,
     * would put reads of cold entries behind the single write lock and a commit.
     * DiskStoreBenchmarkTest measured 67 us per hit with the time kept in memory against 228 us
     * with one UPDATE commit per hit (100,000 entries of 1.1 KB, 2-core AMD EPYC VM, Linux).
     * NOTE: the interval and the threshold are judgment values, not tuned by measurement.
     */
    private static final long ACCESS_FLUSH_INTERVAL_MILLIS = 5_000;
    private static final int ACCESS_FLUSH_THRESHOLD = 10_000;
    /** Maximum number of keys waiting for a flush. While flushes fail, later hits go unrecorded. */
    private static final int MAX_PENDING_ACCESSES = 200_000;

    private static final int BUSY_TIMEOUT_MILLIS = 5_000;
    private static final long READ_ACQUIRE_TIMEOUT_MILLIS = 5_000;
    private static final int JOURNAL_SIZE_LIMIT_BYTES = 64 << 20;
    private static final int EVICTION_BATCH = 256;
    /** Largest {@code max_page_count} of SQLite 3.45 and later, which lifts a simulated full disk. */
    private static final long UNLIMITED_PAGE_COUNT = 4_294_967_294L;

    private final Path databaseFile;
    private final long maxBytes;
    private final long evictionTargetBytes;
    private final Clock clock;
    private final DiskDirectoryLock directoryLock;
    private final DiskWriter writer;
    private final DiskReadPool readers;
    private final byte[] keySecret;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final TierCounters counters = new TierCounters();
    private final DiskHealth health;
    private final AtomicLong totalBytes = new AtomicLong();
    private final AtomicLong entryCount = new AtomicLong();
    private final ConcurrentHashMap<CacheKey, Long> pendingAccesses = new ConcurrentHashMap<>();
    private final AtomicBoolean earlyFlushQueued = new AtomicBoolean();
    private final ScheduledExecutorService flusher;
    private volatile boolean closed;

    /** Changes of one write transaction, applied to the totals and counters after it commits. */
    private static final class Changes {
        long entries;
        long bytes;
        long writes;
        long evictions;
    }

    @FunctionalInterface
    private interface WriteWork<T> {
        T run(Changes changes) throws SQLException;
    }

    private DiskStore(Path directory, long maxBytes, Clock clock, DiskDirectoryLock directoryLock)
            throws SQLException {
        this.databaseFile = directory.resolve(DATABASE_FILE_NAME);
        this.maxBytes = maxBytes;
        this.evictionTargetBytes = maxBytes - maxBytes / 10;
        this.clock = clock;
        this.directoryLock = directoryLock;
        this.health = new DiskHealth(databaseFile, counters);

        Connection writeConnection = openWriteConnection();
        try {
            DiskSchema.createOrCheck(writeConnection, databaseFile);
            this.keySecret = DiskSchema.loadOrCreateKeySecret(writeConnection, databaseFile);
            DiskSchema.Totals totals = DiskSchema.loadTotals(writeConnection);
            totalBytes.set(totals.bytes());
            entryCount.set(totals.entries());
            this.writer = new DiskWriter(writeConnection);
            int poolSize = Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
            this.readers = new DiskReadPool(poolSize, READ_ACQUIRE_TIMEOUT_MILLIS, this::openReadConnection);
        } catch (SQLException | RuntimeException e) {
            closeAfterFailedOpen(writeConnection, e);
            throw e;
        }

        this.flusher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "disk-cache-access-flush");
            thread.setDaemon(true);
            return thread;
        });
        flusher.scheduleWithFixedDelay(this::flushAccessesInBackground,
                ACCESS_FLUSH_INTERVAL_MILLIS, ACCESS_FLUSH_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens the store in {@code directory}, creating the directory with its parents when missing,
     * with the system UTC clock.
     *
     * @see #open(Path, long, Clock)
     */
    public static DiskStore open(Path directory, long maxBytes) {
        return open(directory, maxBytes, Clock.systemUTC());
    }

    /**
     * Opens the store in {@code directory}, creating the directory with its parents when missing.
     * Opening reads only the entry count and byte total, not the entries.
     *
     * @param directory the cache directory, which will contain {@value #DATABASE_FILE_NAME}, its
     *     WAL files and the lock file {@value DiskDirectoryLock#LOCK_FILE_NAME}
     * @param maxBytes the budget for the summed encoded sizes of all entries, at least 1
     * @param clock the source of stored-at and last-access times
     * @return the open store, which holds the directory lock until {@link #close()}
     * @throws IllegalArgumentException when {@code maxBytes} is not positive
     * @throws CacheStoreException when the directory cannot be created, another process or store
     *     uses it, or the database cannot be opened. The message names the path and what to do.
     */
    public static DiskStore open(Path directory, long maxBytes, Clock clock) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(clock, "clock");
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        Path realDirectory = createDirectory(directory);
        if (realDirectory.toString().contains("?")) {
            // sqlite-jdbc reads everything after '?' in a JDBC URL as connection settings.
            throw new CacheStoreException("Cache directory " + realDirectory
                    + " contains '?', which the SQLite JDBC URL cannot carry;"
                    + " set CACHE_DIR to another directory");
        }
        DiskDirectoryLock lock = DiskDirectoryLock.acquire(realDirectory);
        try {
            DiskStore store = new DiskStore(realDirectory, maxBytes, clock, lock);
            LOG.info("Opened disk cache {} with {} entries, {} of {} bytes used",
                    store.databaseFile, store.entryCount(), store.sizeBytes(), maxBytes);
            return store;
        } catch (SQLException e) {
            lock.close();
            Path databaseFile = realDirectory.resolve(DATABASE_FILE_NAME);
            throw new CacheStoreException("Cannot open cache database " + databaseFile
                    + ": " + e.getMessage() + "; fix the file's permissions, or delete it or set CACHE_DIR"
                    + " to another directory to start with an empty cache", e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static Path createDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
            return directory.toRealPath();
        } catch (FileAlreadyExistsException e) {
            throw new CacheStoreException("Cache directory " + directory
                    + " exists but is not a directory; set CACHE_DIR to a directory", e);
        } catch (IOException e) {
            throw new CacheStoreException("Cannot create cache directory " + directory + ": " + e
                    + "; check its permissions or set CACHE_DIR to another directory", e);
        }
    }

    /*
     * synchronous=NORMAL in WAL mode syncs the WAL only at checkpoints, not at each commit. A
     * killed process loses nothing that was committed, because the commit is already in the OS
     * page cache. A power loss or OS crash can lose the last commits but leaves a consistent
     * database, which is acceptable for a cache that can refetch from upstream.
     */
    private Connection openWriteConnection() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        config.setJournalSizeLimit(JOURNAL_SIZE_LIMIT_BYTES);
        return config.createConnection(jdbcUrl());
    }

    private Connection openReadConnection() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        return config.createConnection(jdbcUrl());
    }

    private String jdbcUrl() {
        return "jdbc:sqlite:" + databaseFile;
    }

    private static void closeAfterFailedOpen(Connection connection, Exception failure) {
        try {
            connection.close();
        } catch (SQLException closeFailure) {
            failure.addSuppressed(closeFailure);
        }
    }

    /**
     * Returns the stored entry for the key. An entry whose bytes fail to decode is counted as
     * corrupt, deleted and reported as a miss.
     *
     * @return the entry, or empty on a miss
     * @throws CacheStoreException when the database cannot be read or the store is closed
     */
    @Override
    public Optional<Entry> get(CacheKey key) {
        Objects.requireNonNull(key, "key");
        ensureOpen();
        byte[] data = readData(key);
        if (data == null) {
            counters.misses.increment();
            return Optional.empty();
        }
        Entry entry;
        try {
            entry = EntryCodec.decode(data);
        } catch (CorruptEntryException e) {
            discardCorrupt(key, data, e);
            counters.misses.increment();
            return Optional.empty();
        }
        recordAccess(key);
        counters.hits.increment();
        return Optional.of(entry);
    }

    private byte[] readData(CacheKey key) {
        DiskReadPool.Reader reader;
        try {
            reader = readers.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CacheStoreException(
                    "Interrupted while waiting for a read connection to " + databaseFile, e);
        } catch (SQLException e) {
            throw health.failure("read", false, e);
        }
        try {
            byte[] data = reader.read(key);
            health.success(false);
            return data;
        } catch (SQLException e) {
            throw health.failure("read", false, e);
        } finally {
            readers.release(reader);
        }
    }

    private void discardCorrupt(CacheKey key, byte[] data, CorruptEntryException problem) {
        counters.corrupt.increment();
        LOG.warn("Deleting corrupt disk cache entry for target {} in {}: {}",
                key.target(), databaseFile, problem.getMessage());
        try {
            inWriteTransaction("corrupt entry removal", changes -> {
                // Deletes only the bytes that failed, not an entry a concurrent put just wrote.
                long size = writer.storedSizeIfData(key, data);
                if (size >= 0 && writer.delete(key)) {
                    changes.entries--;
                    changes.bytes -= size;
                }
                return null;
            });
        } catch (CacheStoreException removalFailure) {
            // Already counted and logged as an outage. The row stays but is never served, because
            // every read decodes and verifies it again.
        }
    }

    private void recordAccess(CacheKey key) {
        if (pendingAccesses.size() >= MAX_PENDING_ACCESSES) {
            return;
        }
        pendingAccesses.merge(key, clock.millis(), Math::max);
        if (pendingAccesses.size() >= ACCESS_FLUSH_THRESHOLD && earlyFlushQueued.compareAndSet(false, true)) {
            try {
                flusher.execute(() -> {
                    earlyFlushQueued.set(false);
                    flushAccessesInBackground();
                });
            } catch (RejectedExecutionException e) {
                // The store is closing, and close() flushes what is waiting.
                earlyFlushQueued.set(false);
            }
        }
    }

    /**
     * Stores the entry, replacing any entry under the key, and evicts least recently used entries
     * when the total passes the budget. An entry whose encoded size alone exceeds the budget is not
     * stored. The previous entry for the key is deleted instead, and the call counts as one
     * eviction.
     *
     * @throws CacheStoreException when the database cannot be written, for example because the
     *     disk is full, or the store is closed
     */
    @Override
    public void put(CacheKey key, Entry entry) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(entry, "entry");
        byte[] data = EntryCodec.encode(entry);
        if (data.length > maxBytes) {
            LOG.debug("Not storing {} bytes for target {}: larger than the disk cache budget of {} bytes",
                    data.length, key.target(), maxBytes);
            inWriteTransaction("write", changes -> {
                deleteKey(key, changes);
                changes.evictions++;
                return null;
            });
            return;
        }
        long now = clock.millis();
        inWriteTransaction("write", changes -> {
            long previousSize = writer.storedSize(key);
            writer.upsert(key, data, now);
            changes.writes++;
            if (previousSize < 0) {
                changes.entries++;
                changes.bytes += data.length;
            } else {
                changes.bytes += data.length - previousSize;
            }
            if (totalBytes.get() + changes.bytes > maxBytes) {
                evictLeastRecentlyUsed(key, changes);
            }
            return null;
        });
    }

    /*
     * Deletes entries in order of last access, oldest first, until the total is at most 90% of
     * the budget. Going below the budget leaves room, so the next writes do not each evict again.
     * The entry just written is kept even when the others do not free enough, so a large entry is
     * never deleted by its own write.
     */
    private void evictLeastRecentlyUsed(CacheKey justWritten, Changes changes) throws SQLException {
        flushAccesses();
        while (totalBytes.get() + changes.bytes > evictionTargetBytes) {
            List<DiskWriter.StoredKey> candidates = writer.leastRecentlyUsed(EVICTION_BATCH);
            boolean deleted = false;
            for (DiskWriter.StoredKey candidate : candidates) {
                if (totalBytes.get() + changes.bytes <= evictionTargetBytes) {
                    break;
                }
                if (candidate.key().equals(justWritten)) {
                    continue;
                }
                writer.delete(candidate.key());
                changes.entries--;
                changes.bytes -= candidate.size();
                changes.evictions++;
                deleted = true;
            }
            if (!deleted) {
                return;
            }
        }
    }

    /**
     * Removes the entry for the key, if there is one.
     *
     * @throws CacheStoreException when the database cannot be written or the store is closed
     */
    @Override
    public void remove(CacheKey key) {
        Objects.requireNonNull(key, "key");
        inWriteTransaction("remove", changes -> {
            deleteKey(key, changes);
            return null;
        });
    }

    private void deleteKey(CacheKey key, Changes changes) throws SQLException {
        long size = writer.storedSize(key);
        if (size >= 0) {
            writer.delete(key);
            changes.entries--;
            changes.bytes -= size;
        }
    }

    /**
     * Removes every variant stored for the exact target.
     *
     * @return the number of entries removed
     * @throws CacheStoreException when the database cannot be written or the store is closed
     */
    @Override
    public long removeTarget(String target) {
        Objects.requireNonNull(target, "target");
        return inWriteTransaction("purge", changes -> applyRemoved(writer.deleteTarget(target), changes));
    }

    /**
     * Removes every entry whose target starts with the prefix, compared as exact characters with
     * no wildcards. An empty prefix removes everything.
     *
     * @return the number of entries removed
     * @throws CacheStoreException when the database cannot be written or the store is closed
     */
    @Override
    public long removeTargetPrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return inWriteTransaction("purge",
                changes -> applyRemoved(writer.deleteTargetPrefix(prefix), changes));
    }

    private static long applyRemoved(DiskWriter.Amount removed, Changes changes) {
        changes.entries -= removed.entries();
        changes.bytes -= removed.bytes();
        return removed.entries();
    }

    /*
     * Runs one write transaction under the write lock. The totals and counters change only after
     * COMMIT succeeds, so they always match the committed database.
     */
    private <T> T inWriteTransaction(String operation, WriteWork<T> work) {
        return inWriteTransaction(operation, true, work);
    }

    /*
     * A background flush passes endsOutage false: an UPDATE in place can succeed on a full disk,
     * and only a write that a caller requested shows that writes work again.
     */
    private <T> T inWriteTransaction(String operation, boolean endsOutage, WriteWork<T> work) {
        writeLock.lock();
        try {
            ensureOpen();
            Changes changes = new Changes();
            T result;
            try {
                writer.begin();
                result = work.run(changes);
                writer.commit();
            } catch (SQLException e) {
                writer.rollback(e);
                throw health.failure(operation, true, e);
            } catch (RuntimeException e) {
                writer.rollback(e);
                throw e;
            }
            totalBytes.addAndGet(changes.bytes);
            entryCount.addAndGet(changes.entries);
            counters.writes.add(changes.writes);
            counters.evictions.add(changes.evictions);
            if (endsOutage) {
                health.success(true);
            }
            return result;
        } finally {
            writeLock.unlock();
        }
    }

    /* Writes the waiting last-access times inside the caller's transaction. */
    private void flushAccesses() throws SQLException {
        if (pendingAccesses.isEmpty()) {
            return;
        }
        List<Map.Entry<CacheKey, Long>> batch = new ArrayList<>(pendingAccesses.size());
        for (Map.Entry<CacheKey, Long> access : pendingAccesses.entrySet()) {
            batch.add(Map.entry(access.getKey(), access.getValue()));
        }
        for (Map.Entry<CacheKey, Long> access : batch) {
            writer.touch(access.getKey(), access.getValue());
            // Keeps a newer access recorded meanwhile for the next flush.
            pendingAccesses.remove(access.getKey(), access.getValue());
        }
    }

    private void flushAccessesInBackground() {
        if (closed || pendingAccesses.isEmpty()) {
            return;
        }
        try {
            inWriteTransaction("access-time flush", false, changes -> {
                flushAccesses();
                return null;
            });
        } catch (CacheStoreException e) {
            // Counted and logged by DiskHealth. The times of the failed transaction are lost, which
            // only changes the eviction order.
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new CacheStoreException("Disk cache " + databaseFile + " is closed");
        }
    }

    /** Returns the summed encoded sizes of all entries, kept in memory and exact. */
    @Override
    public long sizeBytes() {
        return totalBytes.get();
    }

    /** Returns the number of entries, kept in memory and exact. */
    @Override
    public long entryCount() {
        return entryCount.get();
    }

    /** Returns {@code disk}. */
    @Override
    public String name() {
        return "disk";
    }

    /** Returns the running totals: hits, misses, writes, evictions, errors and corrupt entries. */
    @Override
    public TierCounters counters() {
        return counters;
    }

    /**
     * Returns the last failure of the current outage, naming the database file, or null when the
     * store is healthy. An outage that includes a failed write ends only when a write succeeds.
     */
    public String problem() {
        return health.problem();
    }

    /**
     * Returns the 32-byte secret kept in the database, created with {@code SecureRandom} when the
     * database was created. The mirror keys its cache-key HMAC with it, so a restart derives the
     * same keys.
     *
     * @return a new copy of the secret
     */
    public byte[] keySecret() {
        return keySecret.clone();
    }

    /** Returns the path of the SQLite database file. */
    public Path databaseFile() {
        return databaseFile;
    }

    /*
     * Limits the database file to its current page count, or lifts the limit, so that writes
     * needing new pages fail with SQLITE_FULL as on a full disk. Only tests call this, because
     * chmod cannot make the file unwritable for root, which the tests may run as.
     */
    void simulateFullDisk(boolean full) {
        writeLock.lock();
        try {
            ensureOpen();
            writer.maxPageCount(full ? 1 : UNLIMITED_PAGE_COUNT);
        } catch (SQLException e) {
            throw new CacheStoreException("Cannot change max_page_count on " + databaseFile, e);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Writes the waiting last-access times, closes the connections and releases the directory
     * lock. Later calls do nothing. Operations called after close throw
     * {@link CacheStoreException}.
     */
    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            flushAccessesAtClose();
        } finally {
            writeLock.unlock();
        }
        flusher.shutdown();
        try {
            if (!flusher.awaitTermination(BUSY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("Disk cache access-time flush did not stop within {} ms", BUSY_TIMEOUT_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Readers close first so that the write connection is the last one and, as it closes,
        // checkpoints the WAL into the database file and deletes it.
        readers.close();
        writeLock.lock();
        try {
            writer.close();
        } catch (SQLException e) {
            LOG.warn("Closing the disk cache database {} failed", databaseFile, e);
        } finally {
            writeLock.unlock();
            directoryLock.close();
        }
        LOG.info("Closed disk cache {}", databaseFile);
    }

    private void flushAccessesAtClose() {
        int waiting = pendingAccesses.size();
        if (waiting == 0) {
            return;
        }
        try {
            writer.begin();
            flushAccesses();
            writer.commit();
        } catch (SQLException e) {
            writer.rollback(e);
            LOG.warn("Saving {} last-access times to {} at close failed; the next evictions may"
                    + " remove recently read entries", waiting, databaseFile, e);
        }
    }
}
