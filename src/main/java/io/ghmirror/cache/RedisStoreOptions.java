package io.ghmirror.cache;

import java.time.Duration;
import java.util.Objects;

/**
 * Connection and storage settings of a {@link RedisStore}. Start from {@link #defaults()} and
 * change fields with the {@code with...} methods.
 *
 * @param host the primary endpoint, which receives every write; default {@code localhost}
 * @param readerHost the endpoint that serves entry lookups, such as a replica or a managed
 *     service's reader endpoint, or {@code null} to read from the primary. In cluster mode any
 *     non-null value (or a non-zero {@code readerPort}) turns on reads from replicas.
 * @param port the TCP port of the primary; default 6379
 * @param readerPort the TCP port of the reader endpoint, or 0 to use {@code port}
 * @param password the {@code AUTH} password of both endpoints, or {@code null} for none
 * @param ssl whether to connect with TLS
 * @param redisUrl a Lettuce URI ({@code redis://}, {@code rediss://} or {@code
 *     redis-sentinel://}) that replaces host, port, password and ssl when not {@code null}. The
 *     reader settings are then ignored outside cluster mode, so all commands go to that URI.
 * @param cluster whether the endpoint is a Redis Cluster node used to discover the cluster
 * @param keyPrefix the prefix of every key this store writes, so several applications or
 *     environments can share one Redis; default {@code github-mirror:}
 * @param entryTtl how long Redis keeps an entry after its last put; default 7 days
 * @param commandTimeout the maximum wait for any single command; default 500 ms, which keeps a
 *     slow Redis well below the upstream request timeout
 */
public record RedisStoreOptions(
        String host,
        String readerHost,
        int port,
        int readerPort,
        String password,
        boolean ssl,
        String redisUrl,
        boolean cluster,
        String keyPrefix,
        Duration entryTtl,
        Duration commandTimeout) {

    /** The default {@link #keyPrefix}. */
    public static final String DEFAULT_KEY_PREFIX = "github-mirror:";
    /** The default {@link #entryTtl}. */
    public static final Duration DEFAULT_ENTRY_TTL = Duration.ofDays(7);
    /** The default {@link #commandTimeout}. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(500);

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException when a port is out of range, the host is blank, or a
     *     duration is shorter than one millisecond
     * @throws NullPointerException when host, keyPrefix or a duration is {@code null}
     */
    public RedisStoreOptions {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(entryTtl, "entryTtl");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        if (host.isBlank()) {
            throw new IllegalArgumentException("Redis host must not be blank");
        }
        if (readerHost != null && readerHost.isBlank()) {
            throw new IllegalArgumentException("Redis reader host must be null or a host name, not blank");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("Redis port " + port + " is outside 1-65535");
        }
        if (readerPort < 0 || readerPort > 65_535) {
            throw new IllegalArgumentException(
                    "Redis reader port " + readerPort + " is outside 1-65535 (or 0 for the primary port)");
        }
        if (entryTtl.toMillis() < 1) {
            throw new IllegalArgumentException("Redis entry TTL " + entryTtl + " is shorter than 1 ms");
        }
        if (commandTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("Redis command timeout " + commandTimeout + " is shorter than 1 ms");
        }
    }

    /** Returns the defaults: {@code localhost:6379}, no password, no TLS, no reader, no cluster. */
    public static RedisStoreOptions defaults() {
        return new RedisStoreOptions("localhost", null, 6379, 0, null, false, null, false,
                DEFAULT_KEY_PREFIX, DEFAULT_ENTRY_TTL, DEFAULT_COMMAND_TIMEOUT);
    }

    /** Returns a copy with the primary host changed. */
    public RedisStoreOptions withHost(String host) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with the reader host changed; {@code null} reads from the primary. */
    public RedisStoreOptions withReaderHost(String readerHost) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with the primary port changed. */
    public RedisStoreOptions withPort(int port) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with the reader port changed; 0 uses the primary port. */
    public RedisStoreOptions withReaderPort(int readerPort) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with the password changed; {@code null} sends no {@code AUTH}. */
    public RedisStoreOptions withPassword(String password) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with TLS switched on or off. */
    public RedisStoreOptions withSsl(boolean ssl) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with the Lettuce URI changed; {@code null} uses host, port and password. */
    public RedisStoreOptions withRedisUrl(String redisUrl) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with Redis Cluster mode switched on or off. */
    public RedisStoreOptions withCluster(boolean cluster) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with the key prefix changed. */
    public RedisStoreOptions withKeyPrefix(String keyPrefix) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with the entry TTL changed. */
    public RedisStoreOptions withEntryTtl(Duration entryTtl) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns a copy with the command timeout changed. */
    public RedisStoreOptions withCommandTimeout(Duration commandTimeout) {
        return new RedisStoreOptions(host, readerHost, port, readerPort, password, ssl, redisUrl,
                cluster, keyPrefix, entryTtl, commandTimeout);
    }

    /** Returns whether a reader endpoint was set, through its host or its port. */
    public boolean readerConfigured() {
        return readerHost != null || readerPort != 0;
    }

    /** Returns the reader host, which is the primary host when no reader host was set. */
    public String effectiveReaderHost() {
        return readerHost != null ? readerHost : host;
    }

    /** Returns the reader port, which is the primary port when no reader port was set. */
    public int effectiveReaderPort() {
        return readerPort != 0 ? readerPort : port;
    }

    /** Returns the settings with the password and any credentials in the URI replaced by {@code ***}. */
    @Override
    public String toString() {
        return "RedisStoreOptions[host=" + host
                + ", readerHost=" + readerHost
                + ", port=" + port
                + ", readerPort=" + readerPort
                + ", password=" + (password == null ? "null" : "***")
                + ", ssl=" + ssl
                + ", redisUrl=" + redactUrl(redisUrl)
                + ", cluster=" + cluster
                + ", keyPrefix=" + keyPrefix
                + ", entryTtl=" + entryTtl
                + ", commandTimeout=" + commandTimeout + "]";
    }

    /**
     * Returns the URI with its user information ({@code user:password@}) replaced by {@code ***@},
     * or {@code null} for {@code null}.
     */
    static String redactUrl(String url) {
        if (url == null) {
            return null;
        }
        int authorityStart = url.indexOf("://");
        if (authorityStart < 0) {
            return url;
        }
        authorityStart += 3;
        int authorityEnd = url.length();
        for (char delimiter : new char[] {'/', '?', '#'}) {
            int index = url.indexOf(delimiter, authorityStart);
            if (index >= 0 && index < authorityEnd) {
                authorityEnd = index;
            }
        }
        int at = url.lastIndexOf('@', authorityEnd - 1);
        if (at < authorityStart) {
            return url;
        }
        return url.substring(0, authorityStart) + "***" + url.substring(at);
    }
}
