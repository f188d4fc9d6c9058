package io.ghmirror.cache;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outage state of a disk store. Counts every failure, logs the first failure of an outage and the
 * recovery, and keeps the last failure for {@link DiskStore#problem()}.
 *
 * <p>A write failure (for example a full disk) ends only with a successful write, because reads
 * keep working on a full disk and would otherwise end and restart the outage on every request.
 */
final class DiskHealth {

    private static final Logger LOG = LoggerFactory.getLogger(DiskStore.class);

    private record Problem(String description, boolean write) {}

    private final Path databaseFile;
    private final TierCounters counters;
    private final AtomicReference<Problem> current = new AtomicReference<>();
    private final AtomicLong failuresInOutage = new AtomicLong();

    DiskHealth(Path databaseFile, TierCounters counters) {
        this.databaseFile = databaseFile;
        this.counters = counters;
    }

    /**
     * Records a failed operation: counts it in the errors counter, logs it when it starts an
     * outage and stores it as the current problem.
     *
     * @param operation what failed, such as {@code "write"}, used in the message
     * @param write whether the operation modifies the database
     * @return the exception to throw to the caller, naming the database file and the failure
     */
    CacheStoreException failure(String operation, boolean write, Exception cause) {
        counters.errors.increment();
        String description = "Disk cache " + operation + " failed on " + databaseFile + ": "
                + cause.getMessage();
        Problem previous = current.getAndUpdate(
                old -> new Problem(description, write || (old != null && old.write())));
        failuresInOutage.incrementAndGet();
        if (previous == null) {
            LOG.warn("Disk cache {} failed on {}; further failures are counted in the errors"
                    + " metric but not logged until an operation succeeds", operation, databaseFile, cause);
        }
        return new CacheStoreException(description, cause);
    }

    /** Records a successful operation, ending the outage when the operation kind allows it. */
    void success(boolean write) {
        Problem problem = current.get();
        if (problem == null || (problem.write() && !write)) {
            return;
        }
        if (current.compareAndSet(problem, null)) {
            LOG.info("Disk cache on {} works again after {} failed operations",
                    databaseFile, failuresInOutage.getAndSet(0));
        }
    }

    /** Returns the last failure of the current outage, or null when the store is healthy. */
    String problem() {
        Problem problem = current.get();
        return problem == null ? null : problem.description();
    }
}
