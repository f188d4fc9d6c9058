package io.ghmirror.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive claim on a cache directory, held through an OS file lock on a lock file for the life
 * of a store. The OS releases the lock when the process ends, also after {@code kill -9}.
 */
final class DiskDirectoryLock implements AutoCloseable {

    /** Name of the lock file inside the cache directory. */
    static final String LOCK_FILE_NAME = "github-mirror.lock";

    /*
     * Directories locked by this JVM. The FileLock Javadoc warns that on some systems closing any
     * channel on a file releases every lock the JVM holds on it. A second open in the same JVM
     * therefore must not open the lock file at all, so acquire() checks this set first.
     */
    private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final FileChannel channel;
    private final FileLock lock;

    private DiskDirectoryLock(Path directory, FileChannel channel, FileLock lock) {
        this.directory = directory;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks the directory, which must exist, and writes this process id into the lock file.
     *
     * @param directory the cache directory in its real (symlink-free) form
     * @return the held lock
     * @throws CacheStoreException when another process or another store in this JVM holds the
     *     lock, or when the lock file cannot be created
     */
    static DiskDirectoryLock acquire(Path directory) {
        Path lockFile = directory.resolve(LOCK_FILE_NAME);
        if (!HELD_IN_THIS_JVM.add(directory)) {
            throw inUse(directory, lockFile);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw inUse(directory, lockFile);
            }
            channel.truncate(0);
            String pid = ProcessHandle.current().pid() + "\n";
            channel.write(ByteBuffer.wrap(pid.getBytes(StandardCharsets.US_ASCII)));
            return new DiskDirectoryLock(directory, channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            HELD_IN_THIS_JVM.remove(directory);
            throw new CacheStoreException(
                    "Cannot create or lock the lock file " + lockFile + ": " + e.getMessage()
                            + "; check the directory's permissions or set CACHE_DIR to another directory", e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            HELD_IN_THIS_JVM.remove(directory);
            throw e;
        }
    }

    private static CacheStoreException inUse(Path directory, Path lockFile) {
        return new CacheStoreException("Cache directory " + directory
                + " is already in use by another github-mirror process (lock file " + lockFile
                + "); stop it or set CACHE_DIR to another directory");
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // The channel is being discarded after a failure that is already reported.
        }
    }

    /** Releases the lock and closes the lock file, which stays in place for the next open. */
    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // Closing the channel below releases the lock as well.
        } finally {
            closeQuietly(channel);
            HELD_IN_THIS_JVM.remove(directory);
        }
    }
}
