package io.ghmirror.cache;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The single write connection of a disk store and its prepared statements. Not thread-safe: the
 * store calls it only while holding its write lock, and every change runs between {@link #begin}
 * and {@link #commit} or {@link #rollback}.
 */
final class DiskWriter implements AutoCloseable {

    /** Number of entries and their summed sizes, as matched or removed by one statement. */
    record Amount(long entries, long bytes) {}

    /** An eviction candidate: the key and the size of its stored bytes. */
    record StoredKey(CacheKey key, long size) {}

    private static final String RANGE = "target >= ? AND target < CAST(? AS TEXT)";

    private static final String SELECT_SIZE = "SELECT size FROM entries WHERE variant = ? AND target = ?";
    private static final String SELECT_SIZE_IF_DATA =
            "SELECT size FROM entries WHERE variant = ? AND target = ? AND data = ?";
    private static final String UPSERT = """
            INSERT INTO entries (variant, target, size, stored_at, accessed_at, data)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (variant, target) DO UPDATE SET
                size = excluded.size,
                stored_at = excluded.stored_at,
                accessed_at = excluded.accessed_at,
                data = excluded.data""";
    private static final String DELETE_KEY = "DELETE FROM entries WHERE variant = ? AND target = ?";
    private static final String TOUCH =
            "UPDATE entries SET accessed_at = ? WHERE variant = ? AND target = ? AND accessed_at < ?";
    /* Ordered by accessed_at alone, so SQLite walks entries_by_access without sorting. */
    private static final String LEAST_RECENTLY_USED =
            "SELECT variant, target, size FROM entries ORDER BY accessed_at LIMIT ?";
    private static final String AMOUNT_OF_TARGET =
            "SELECT count(*), coalesce(sum(size), 0) FROM entries WHERE target = ?";
    private static final String DELETE_TARGET = "DELETE FROM entries WHERE target = ?";
    private static final String AMOUNT_OF_RANGE =
            "SELECT count(*), coalesce(sum(size), 0) FROM entries WHERE " + RANGE;
    private static final String DELETE_RANGE = "DELETE FROM entries WHERE " + RANGE;
    private static final String AMOUNT_OF_ALL = "SELECT count(*), coalesce(sum(size), 0) FROM entries";
    private static final String DELETE_ALL = "DELETE FROM entries";

    private final Connection connection;
    /*
     * Prepared statements by SQL text, created on first use. sqlite-jdbc 3.51 finalizes a
     * statement whose execution fails, and the next use then fails with "statement is not
     * executing", so rollback() discards them all and they are prepared again.
     */
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private boolean inTransaction;

    /** Wraps a connection in auto-commit mode whose schema already exists. */
    DiskWriter(Connection connection) {
        this.connection = connection;
    }

    private PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement statement = statements.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            statements.put(sql, statement);
        }
        return statement;
    }

    private void execute(String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** Starts a transaction that takes the database write lock at once. */
    void begin() throws SQLException {
        execute("BEGIN IMMEDIATE");
        inTransaction = true;
    }

    void commit() throws SQLException {
        execute("COMMIT");
        inTransaction = false;
    }

    /**
     * Rolls back the transaction started by {@link #begin}, if any, after {@code failure}, and
     * discards the prepared statements. A rollback failure is attached to {@code failure} as a
     * suppressed exception.
     */
    void rollback(Exception failure) {
        for (PreparedStatement statement : statements.values()) {
            try {
                statement.close();
            } catch (SQLException closeFailure) {
                failure.addSuppressed(closeFailure);
            }
        }
        statements.clear();
        if (!inTransaction) {
            return;
        }
        inTransaction = false;
        try {
            execute("ROLLBACK");
        } catch (SQLException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
        }
    }

    /** Returns the size of the bytes stored for the key, or -1 when there is no entry. */
    long storedSize(CacheKey key) throws SQLException {
        PreparedStatement select = prepared(SELECT_SIZE);
        bindKey(select, key);
        return singleSize(select);
    }

    /** Returns the size of the entry when its stored bytes equal {@code data}, or -1 otherwise. */
    long storedSizeIfData(CacheKey key, byte[] data) throws SQLException {
        PreparedStatement select = prepared(SELECT_SIZE_IF_DATA);
        bindKey(select, key);
        select.setBytes(3, data);
        return singleSize(select);
    }

    /** Inserts or replaces the entry bytes for the key, stored and accessed now. */
    void upsert(CacheKey key, byte[] data, long nowMillis) throws SQLException {
        PreparedStatement upsert = prepared(UPSERT);
        bindKey(upsert, key);
        upsert.setLong(3, data.length);
        upsert.setLong(4, nowMillis);
        upsert.setLong(5, nowMillis);
        upsert.setBytes(6, data);
        upsert.executeUpdate();
    }

    /** Deletes the entry for the key and returns whether there was one. */
    boolean delete(CacheKey key) throws SQLException {
        PreparedStatement delete = prepared(DELETE_KEY);
        bindKey(delete, key);
        return delete.executeUpdate() > 0;
    }

    /** Moves the entry's last-access time forward to {@code accessedAtMillis}, but not backward. */
    void touch(CacheKey key, long accessedAtMillis) throws SQLException {
        PreparedStatement touch = prepared(TOUCH);
        touch.setLong(1, accessedAtMillis);
        touch.setString(2, key.variant());
        touch.setString(3, key.target());
        touch.setLong(4, accessedAtMillis);
        touch.executeUpdate();
    }

    /** Returns up to {@code limit} keys in order of last access, oldest first. */
    List<StoredKey> leastRecentlyUsed(int limit) throws SQLException {
        PreparedStatement select = prepared(LEAST_RECENTLY_USED);
        select.setInt(1, limit);
        List<StoredKey> keys = new ArrayList<>(limit);
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                keys.add(new StoredKey(new CacheKey(rows.getString(2), rows.getString(1)), rows.getLong(3)));
            }
        }
        return keys;
    }

    /** Deletes every variant of the exact target and returns what was deleted. */
    Amount deleteTarget(String target) throws SQLException {
        PreparedStatement select = prepared(AMOUNT_OF_TARGET);
        select.setString(1, target);
        Amount amount = amount(select);
        PreparedStatement delete = prepared(DELETE_TARGET);
        delete.setString(1, target);
        delete.executeUpdate();
        return amount;
    }

    /** Deletes every entry whose target starts with the prefix and returns what was deleted. */
    Amount deleteTargetPrefix(String prefix) throws SQLException {
        if (prefix.isEmpty()) {
            Amount amount = amount(prepared(AMOUNT_OF_ALL));
            prepared(DELETE_ALL).executeUpdate();
            return amount;
        }
        PreparedStatement select = prepared(AMOUNT_OF_RANGE);
        bindRange(select, prefix);
        Amount amount = amount(select);
        PreparedStatement delete = prepared(DELETE_RANGE);
        bindRange(delete, prefix);
        delete.executeUpdate();
        return amount;
    }

    /**
     * Binds the bounds of the targets that start with the prefix. SQLite compares TEXT as UTF-8
     * bytes, and UTF-8 never contains the byte 0xFF, so every target with the prefix lies between
     * the prefix and the prefix with its last byte incremented. The upper bound may not be valid
     * UTF-8, so it is bound as a BLOB and cast to TEXT, which SQLite does without validation. This
     * keeps the query on the target index and, unlike LIKE, needs no escaping of {@code %} and
     * {@code _}.
     */
    private static void bindRange(PreparedStatement statement, String prefix) throws SQLException {
        byte[] lower = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] upper = Arrays.copyOf(lower, lower.length);
        upper[upper.length - 1]++;
        statement.setString(1, prefix);
        statement.setBytes(2, upper);
    }

    /**
     * Sets {@code PRAGMA max_page_count}, which tests use to simulate a full disk.
     *
     * @return the limit now in force, which SQLite raises to at least the current page count
     */
    long maxPageCount(long pages) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("PRAGMA max_page_count = " + pages)) {
            return rows.next() ? rows.getLong(1) : -1;
        }
    }

    private static void bindKey(PreparedStatement statement, CacheKey key) throws SQLException {
        statement.setString(1, key.variant());
        statement.setString(2, key.target());
    }

    private static long singleSize(PreparedStatement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            return rows.next() ? rows.getLong(1) : -1;
        }
    }

    private static Amount amount(PreparedStatement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            rows.next();
            return new Amount(rows.getLong(1), rows.getLong(2));
        }
    }

    /** Closes the connection and with it the prepared statements. */
    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
