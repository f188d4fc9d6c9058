package io.ghmirror.cache;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tables of the disk store and the values kept in its meta table.
 *
 * <p>{@code entries} contains one row per key. Its primary key is (variant, target), the only
 * parts of a {@link CacheKey}. The variant is a keyed hash, so no row identifies a token. The small
 * columns come before {@code data} so that SQLite reads them without following the overflow
 * pages of large values. {@code entries_by_access} orders rows for LRU eviction and also covers
 * the {@code sum(size)} scan at open.
 */
final class DiskSchema {

    /** Schema version stored in the meta table. Opening a database with another version fails. */
    static final int VERSION = 1;

    /** Length in bytes of the key secret. */
    static final int KEY_SECRET_BYTES = 32;

    private static final Logger LOG = LoggerFactory.getLogger(DiskStore.class);

    private static final String[] CREATE_STATEMENTS = {
        """
        CREATE TABLE IF NOT EXISTS entries (
            variant TEXT NOT NULL,
            target TEXT NOT NULL,
            size INTEGER NOT NULL,
            stored_at INTEGER NOT NULL,
            accessed_at INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (variant, target)
        )""",
        "CREATE INDEX IF NOT EXISTS entries_by_target ON entries (target)",
        "CREATE INDEX IF NOT EXISTS entries_by_access ON entries (accessed_at, size)",
        "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
    };

    /** Entry count and byte total of the entries table at open. */
    record Totals(long entries, long bytes) {}

    private DiskSchema() {}

    /**
     * Creates the tables when missing and checks the stored schema version, in one transaction on
     * the write connection.
     *
     * @throws CacheStoreException when the database was written with another schema version
     */
    static void createOrCheck(Connection writer, Path databaseFile) throws SQLException {
        try (Statement statement = writer.createStatement()) {
            statement.execute("BEGIN IMMEDIATE");
            try {
                for (String sql : CREATE_STATEMENTS) {
                    statement.execute(sql);
                }
                statement.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', "
                        + VERSION + ")");
                long version;
                try (ResultSet rows = statement.executeQuery(
                        "SELECT value FROM meta WHERE name = 'schema_version'")) {
                    rows.next();
                    version = rows.getLong(1);
                }
                if (version != VERSION) {
                    throw new CacheStoreException("Cache database " + databaseFile + " has schema version "
                            + version + " but this github-mirror reads version " + VERSION
                            + "; delete the file or set CACHE_DIR to another directory");
                }
                statement.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                rollback(statement, e);
                throw e;
            }
        }
    }

    /**
     * Loads the key secret, creating it with {@link SecureRandom} when the meta table has none.
     * A stored value of the wrong length is replaced, and every entry is deleted because keys
     * derived from the old secret can no longer be looked up.
     *
     * @return a new array with the {@value #KEY_SECRET_BYTES}-byte secret
     */
    static byte[] loadOrCreateKeySecret(Connection writer, Path databaseFile) throws SQLException {
        try (Statement statement = writer.createStatement()) {
            statement.execute("BEGIN IMMEDIATE");
            try {
                byte[] stored = null;
                try (ResultSet rows = statement.executeQuery(
                        "SELECT value FROM meta WHERE name = 'key_secret'")) {
                    if (rows.next()) {
                        stored = rows.getBytes(1);
                    }
                }
                if (stored != null && stored.length == KEY_SECRET_BYTES) {
                    statement.execute("COMMIT");
                    return stored;
                }
                if (stored != null) {
                    LOG.warn("Key secret in {} has {} bytes instead of {}; creating a new one and"
                            + " deleting all entries", databaseFile, stored.length, KEY_SECRET_BYTES);
                    statement.execute("DELETE FROM entries");
                }
                byte[] secret = new byte[KEY_SECRET_BYTES];
                new SecureRandom().nextBytes(secret);
                try (PreparedStatement insert = writer.prepareStatement(
                        "INSERT OR REPLACE INTO meta (name, value) VALUES ('key_secret', ?)")) {
                    insert.setBytes(1, secret);
                    insert.executeUpdate();
                }
                statement.execute("COMMIT");
                return secret;
            } catch (SQLException | RuntimeException e) {
                rollback(statement, e);
                throw e;
            }
        }
    }

    private static void rollback(Statement statement, Exception failure) {
        try {
            statement.execute("ROLLBACK");
        } catch (SQLException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
        }
    }

    /** Counts the entries and sums their sizes without reading the entry bytes. */
    static Totals loadTotals(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(
                        "SELECT count(*), coalesce(sum(size), 0) FROM entries")) {
            rows.next();
            return new Totals(rows.getLong(1), rows.getLong(2));
        }
    }
}
