package io.ghmirror.cache;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Fixed set of read-only SQLite connections. In WAL mode each query reads a consistent snapshot
 * while the single writer commits, so reads do not take the store's write lock.
 */
final class DiskReadPool implements AutoCloseable {

    /** One read-only connection with its prepared lookup statement. */
    static final class Reader {
        private static final String SELECT_DATA = "SELECT data FROM entries WHERE variant = ? AND target = ?";

        private final Connection connection;
        private PreparedStatement selectData;

        private Reader(Connection connection) {
            this.connection = connection;
        }

        /**
         * Returns the encoded entry bytes stored for the key, or null when there is none.
         *
         * @throws SQLException when the query fails. sqlite-jdbc 3.51 then closes the statement,
         *     so the next call prepares it again.
         */
        byte[] read(CacheKey key) throws SQLException {
            try {
                if (selectData == null) {
                    selectData = connection.prepareStatement(SELECT_DATA);
                }
                selectData.setString(1, key.variant());
                selectData.setString(2, key.target());
                try (ResultSet rows = selectData.executeQuery()) {
                    return rows.next() ? rows.getBytes(1) : null;
                }
            } catch (SQLException e) {
                discardStatement(e);
                throw e;
            }
        }

        private void discardStatement(SQLException failure) {
            if (selectData == null) {
                return;
            }
            try {
                selectData.close();
            } catch (SQLException closeFailure) {
                failure.addSuppressed(closeFailure);
            }
            selectData = null;
        }

        private void close() {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // The pool is shutting down, so nothing reads through this connection any more.
            }
        }
    }

    /** Opens one read-only connection to the database. */
    @FunctionalInterface
    interface ConnectionFactory {
        Connection open() throws SQLException;
    }

    private final ArrayBlockingQueue<Reader> idle;
    private final List<Reader> all;
    private final long acquireTimeoutMillis;

    /**
     * Opens {@code size} connections through the factory.
     *
     * @throws SQLException when a connection cannot be opened, after closing those already open
     */
    DiskReadPool(int size, long acquireTimeoutMillis, ConnectionFactory factory) throws SQLException {
        this.idle = new ArrayBlockingQueue<>(size);
        this.all = new ArrayList<>(size);
        this.acquireTimeoutMillis = acquireTimeoutMillis;
        try {
            for (int i = 0; i < size; i++) {
                Reader reader = new Reader(factory.open());
                all.add(reader);
                idle.add(reader);
            }
        } catch (SQLException | RuntimeException e) {
            all.forEach(Reader::close);
            throw e;
        }
    }

    /**
     * Takes an idle reader, waiting while all are busy.
     *
     * @return the reader, to be handed back with {@link #release}
     * @throws SQLException when no reader became idle within the acquire timeout
     * @throws InterruptedException when the calling thread is interrupted while waiting
     */
    Reader acquire() throws SQLException, InterruptedException {
        Reader reader = idle.poll(acquireTimeoutMillis, TimeUnit.MILLISECONDS);
        if (reader == null) {
            throw new SQLException("timed out after " + acquireTimeoutMillis
                    + " ms waiting for one of " + all.size() + " read connections");
        }
        return reader;
    }

    /** Hands a reader taken with {@link #acquire} back to the pool. */
    void release(Reader reader) {
        idle.add(reader);
    }

    /**
     * Closes every connection. Waits up to the acquire timeout for readers still in use, then
     * closes them anyway, which fails their running query.
     */
    @Override
    public void close() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(acquireTimeoutMillis);
        try {
            for (int returned = 0; returned < all.size(); returned++) {
                long remaining = deadline - System.nanoTime();
                if (idle.poll(Math.max(0, remaining), TimeUnit.NANOSECONDS) == null) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        all.forEach(Reader::close);
    }
}
