package io.ghmirror.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line: every setting is a flag and an environment variable of the same name.
 *
 * <p>Option values stay strings here so that {@link #toSettings()} can reject a bad value with a
 * message naming both the flag and the environment variable.
 */
@Command(
        name = "github-mirror",
        mixinStandardHelpOptions = true,
        versionProvider = MirrorCommand.Version.class,
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpWidth = 120,
        description = {
            "Caching mirror of the GitHub REST API. Forwards every request to GITHUB_API_URL, caches GET",
            "responses and revalidates them with conditional requests, so unchanged resources cost no",
            "rate limit. Every option can also be set with the environment variable named in brackets."
        })
public final class MirrorCommand {

    @Option(names = "--bind-address", defaultValue = "${env:BIND_ADDRESS:-0.0.0.0}",
            description = "[BIND_ADDRESS] Address to listen on. Default: ${DEFAULT-VALUE}.")
    String bindAddress;

    @Option(names = "--port", defaultValue = "${env:PORT:-8080}",
            description = "[PORT] TCP port to listen on (0 picks a free port). Default: ${DEFAULT-VALUE}.")
    String port;

    @Option(names = "--github-api-url", defaultValue = "${env:GITHUB_API_URL:-https://api.github.com}",
            description = "[GITHUB_API_URL] Upstream API base URL; for GitHub Enterprise Server use "
                    + "https://HOST/api/v3. Default: ${DEFAULT-VALUE}.")
    String githubApiUrl;

    @Option(names = "--github-mirror-url", defaultValue = "${env:GITHUB_MIRROR_URL:-}",
            description = "[GITHUB_MIRROR_URL] Public URL of the mirror; upstream URLs in Link, Location and "
                    + "JSON bodies are rewritten to it. Default: taken from each request's Host header.")
    String githubMirrorUrl;

    @Option(names = "--cache-type", defaultValue = "${env:CACHE_TYPE:-disk}",
            description = "[CACHE_TYPE] Cache store behind the memory tier: memory, disk or redis. "
                    + "Default: ${DEFAULT-VALUE}.")
    String cacheType;

    @Option(names = "--cache-memory-max-bytes", defaultValue = "${env:CACHE_MEMORY_MAX_BYTES:-256MiB}",
            description = "[CACHE_MEMORY_MAX_BYTES] Byte budget of the memory tier, such as 512MiB. "
                    + "Default: ${DEFAULT-VALUE}.")
    String cacheMemoryMaxBytes;

    @Option(names = "--cache-max-entry-bytes", defaultValue = "${env:CACHE_MAX_ENTRY_BYTES:-8MiB}",
            description = "[CACHE_MAX_ENTRY_BYTES] Largest response body that is cached; larger ones stream "
                    + "through. Default: ${DEFAULT-VALUE}.")
    String cacheMaxEntryBytes;

    @Option(names = "--cache-dir", defaultValue = "${env:CACHE_DIR:-./data}",
            description = "[CACHE_DIR] Directory of the disk store, created if missing. Default: ${DEFAULT-VALUE}.")
    String cacheDir;

    @Option(names = "--cache-max-bytes", defaultValue = "${env:CACHE_MAX_BYTES:-2GiB}",
            description = "[CACHE_MAX_BYTES] Byte budget of the disk store; least recently used entries are "
                    + "evicted past it. Default: ${DEFAULT-VALUE}.")
    String cacheMaxBytes;

    @Option(names = "--cache-ttl", defaultValue = "${env:CACHE_TTL:-7d}",
            description = "[CACHE_TTL] Lifetime of a Redis entry, renewed on each revalidation. "
                    + "Default: ${DEFAULT-VALUE}.")
    String cacheTtl;

    @Option(names = "--primary-endpoint", defaultValue = "${env:PRIMARY_ENDPOINT:-localhost}",
            description = "[PRIMARY_ENDPOINT] Redis primary host (writes). Default: ${DEFAULT-VALUE}.")
    String primaryEndpoint;

    @Option(names = "--reader-endpoint", defaultValue = "${env:READER_ENDPOINT:-}",
            description = "[READER_ENDPOINT] Redis host for reads, such as a replica. Default: the primary.")
    String readerEndpoint;

    @Option(names = "--redis-port", defaultValue = "${env:REDIS_PORT:-6379}",
            description = "[REDIS_PORT] Redis port. Default: ${DEFAULT-VALUE}.")
    String redisPort;

    @Option(names = "--redis-password", defaultValue = "${env:REDIS_PASSWORD:-}",
            description = "[REDIS_PASSWORD] Redis password. Default: none.")
    String redisPassword;

    @Option(names = "--redis-ssl", defaultValue = "${env:REDIS_SSL:-false}",
            description = "[REDIS_SSL] true connects to Redis with TLS. Default: ${DEFAULT-VALUE}.")
    String redisSsl;

    @Option(names = "--redis-url", defaultValue = "${env:REDIS_URL:-}",
            description = "[REDIS_URL] Redis URI (redis://, rediss://, redis-sentinel://) that overrides the "
                    + "endpoint settings. Default: none.")
    String redisUrl;

    @Option(names = "--redis-cluster", defaultValue = "${env:REDIS_CLUSTER:-false}",
            description = "[REDIS_CLUSTER] true treats the endpoints as a Redis Cluster. Default: ${DEFAULT-VALUE}.")
    String redisCluster;

    @Option(names = "--redis-key-prefix", defaultValue = "${env:REDIS_KEY_PREFIX:-github-mirror:}",
            description = "[REDIS_KEY_PREFIX] Prefix of every Redis key, so mirrors can share one Redis. "
                    + "Default: ${DEFAULT-VALUE}.")
    String redisKeyPrefix;

    @Option(names = "--redis-timeout", defaultValue = "${env:REDIS_TIMEOUT:-500ms}",
            description = "[REDIS_TIMEOUT] Time allowed for one Redis command. Default: ${DEFAULT-VALUE}.")
    String redisTimeout;

    @Option(names = "--etag-derivation", defaultValue = "${env:ETAG_DERIVATION:-true}",
            description = "[ETAG_DERIVATION] true lets a new token (such as a rotated GitHub App installation "
                    + "token) revalidate a body stored for another token with the ETag GitHub would compute for it, "
                    + "so an unchanged resource costs a free 304 instead of a full request. Default: ${DEFAULT-VALUE}.")
    String etagDerivation;

    @Option(names = "--upstream-connect-timeout", defaultValue = "${env:UPSTREAM_CONNECT_TIMEOUT:-10s}",
            description = "[UPSTREAM_CONNECT_TIMEOUT] Time allowed to connect to the upstream. "
                    + "Default: ${DEFAULT-VALUE}.")
    String upstreamConnectTimeout;

    @Option(names = "--upstream-timeout", defaultValue = "${env:UPSTREAM_TIMEOUT:-30s}",
            description = "[UPSTREAM_TIMEOUT] Time allowed for an upstream response. Default: ${DEFAULT-VALUE}.")
    String upstreamTimeout;

    @Option(names = "--upstream-max-concurrency", defaultValue = "${env:UPSTREAM_MAX_CONCURRENCY:-64}",
            description = "[UPSTREAM_MAX_CONCURRENCY] Upstream requests in flight at once; more wait in a queue. "
                    + "Default: ${DEFAULT-VALUE}.")
    String upstreamMaxConcurrency;

    @Option(names = "--stale-max-age", defaultValue = "${env:STALE_MAX_AGE:-}",
            description = "[STALE_MAX_AGE] Oldest cached response served when GitHub fails, such as 1h. "
                    + "Default: no limit.")
    String staleMaxAge;

    @Option(names = "--github-status-url", defaultValue = "${env:GITHUB_STATUS_URL:-default}",
            description = "[GITHUB_STATUS_URL] GitHub status API polled for outages; empty disables it. "
                    + "Default: https://www.githubstatus.com/api/v2/components.json when GITHUB_API_URL is "
                    + "https://api.github.com, else disabled.")
    String githubStatusUrl;

    @Option(names = "--github-status-interval", defaultValue = "${env:GITHUB_STATUS_INTERVAL:-60s}",
            description = "[GITHUB_STATUS_INTERVAL] Time between two polls of the status API. "
                    + "Default: ${DEFAULT-VALUE}.")
    String githubStatusInterval;

    @Option(names = "--circuit-failure-threshold", defaultValue = "${env:CIRCUIT_FAILURE_THRESHOLD:-5}",
            description = "[CIRCUIT_FAILURE_THRESHOLD] Consecutive upstream connection failures or timeouts "
                    + "that switch the mirror offline; 0 disables the circuit breaker. Default: ${DEFAULT-VALUE}.")
    String circuitFailureThreshold;

    @Option(names = "--circuit-open-duration", defaultValue = "${env:CIRCUIT_OPEN_DURATION:-30s}",
            description = "[CIRCUIT_OPEN_DURATION] Time offline before a probe request tries the upstream "
                    + "again; doubles after each failed probe, up to 10 times. Default: ${DEFAULT-VALUE}.")
    String circuitOpenDuration;

    @Option(names = "--idle-timeout", defaultValue = "${env:IDLE_TIMEOUT:-60s}",
            description = "[IDLE_TIMEOUT] Time a client connection may stay idle or stall while sending a "
                    + "request. Default: ${DEFAULT-VALUE}.")
    String idleTimeout;

    @Option(names = "--max-request-header-bytes", defaultValue = "${env:MAX_REQUEST_HEADER_BYTES:-16KiB}",
            description = "[MAX_REQUEST_HEADER_BYTES] Largest request line plus headers; larger get 431. "
                    + "Default: ${DEFAULT-VALUE}.")
    String maxRequestHeaderBytes;

    @Option(names = "--max-request-body-bytes", defaultValue = "${env:MAX_REQUEST_BODY_BYTES:-100MiB}",
            description = "[MAX_REQUEST_BODY_BYTES] Largest request body; larger get 413. Default: ${DEFAULT-VALUE}.")
    String maxRequestBodyBytes;

    @Option(names = "--shutdown-grace-period", defaultValue = "${env:SHUTDOWN_GRACE_PERIOD:-20s}",
            description = "[SHUTDOWN_GRACE_PERIOD] Time in-flight requests get to finish after SIGTERM. "
                    + "Default: ${DEFAULT-VALUE}.")
    String shutdownGracePeriod;

    @Option(names = "--log-level", defaultValue = "${env:LOG_LEVEL:-INFO}",
            description = "[LOG_LEVEL] Level of the mirror's own messages on standard error: TRACE, DEBUG, INFO, "
                    + "WARN, ERROR or OFF. Default: ${DEFAULT-VALUE}.")
    String logLevel;

    @Option(names = "--request-log-level", defaultValue = "${env:REQUEST_LOG_LEVEL:-INFO}",
            description = "[REQUEST_LOG_LEVEL] INFO writes one line per request to standard output; WARN or OFF "
                    + "turns those lines off. Default: ${DEFAULT-VALUE}.")
    String requestLogLevel;

    @Option(names = "--github-users", defaultValue = "${env:GITHUB_USERS:-}",
            description = "[GITHUB_USERS] GitHub logins allowed to use the mirror, separated by colons or commas. "
                    + "Default: everyone.")
    String githubUsers;

    @Option(names = "--github-orgs", defaultValue = "${env:GITHUB_ORGS:-}",
            description = "[GITHUB_ORGS] GitHub organizations whose members may use the mirror, separated by "
                    + "colons or commas. Default: none.")
    String githubOrgs;

    @Option(names = "--auth-cache-ttl", defaultValue = "${env:AUTH_CACHE_TTL:-10m}",
            description = "[AUTH_CACHE_TTL] Time an allowlist decision for a token is reused before it is "
                    + "checked again. Default: ${DEFAULT-VALUE}.")
    String authCacheTtl;

    @Option(names = "--metrics-user-label", defaultValue = "${env:METRICS_USER_LABEL:-hash}",
            description = "[METRICS_USER_LABEL] What per-credential metric labels show: login, hash or none. "
                    + "Default: ${DEFAULT-VALUE}.")
    String metricsUserLabel;

    @Option(names = "--admin-token", defaultValue = "${env:ADMIN_TOKEN:-}",
            description = "[ADMIN_TOKEN] Bearer token that enables the /admin/ endpoints. Default: disabled.")
    String adminToken;

    @Option(names = "--cache-key-secret", defaultValue = "${env:CACHE_KEY_SECRET:-}",
            description = "[CACHE_KEY_SECRET] Secret for the keyed hash in cache keys. Default: generated once "
                    + "and kept in the disk store or in Redis.")
    String cacheKeySecret;

    @Option(names = "--tls-cert", defaultValue = "${env:TLS_CERT:-}",
            description = "[TLS_CERT] PEM certificate chain; with TLS_KEY the mirror serves HTTPS (HTTP/1.1 and "
                    + "HTTP/2). Default: plain HTTP.")
    String tlsCert;

    @Option(names = "--tls-key", defaultValue = "${env:TLS_KEY:-}",
            description = "[TLS_KEY] PEM private key (PKCS#8) for TLS_CERT. Default: none.")
    String tlsKey;

    /** The upstream whose outages the public GitHub status page reports. */
    static final String PUBLIC_GITHUB_API = "https://api.github.com";

    /** The status API of github.com. */
    static final String PUBLIC_STATUS_URL = "https://www.githubstatus.com/api/v2/components.json";

    /**
     * Validates every value and returns the settings.
     *
     * @throws SettingsException naming the first invalid setting, its value and what is accepted
     */
    public Settings toSettings() {
        URI upstream = ValueParsers.httpUrl("GITHUB_API_URL (--github-api-url)", githubApiUrl);
        URI publicUrl = blank(githubMirrorUrl)
                ? null
                : ValueParsers.httpUrl("GITHUB_MIRROR_URL (--github-mirror-url)", githubMirrorUrl);
        if (blank(bindAddress)) {
            throw ValueParsers.invalid("BIND_ADDRESS (--bind-address)", bindAddress, "an IP address or host name");
        }

        Settings.Redis redis = new Settings.Redis(
                primaryEndpoint.trim(),
                blank(readerEndpoint) ? primaryEndpoint.trim() : readerEndpoint.trim(),
                ValueParsers.integer("REDIS_PORT (--redis-port)", redisPort, 1, 65535),
                blank(redisPassword) ? null : redisPassword,
                ValueParsers.bool("REDIS_SSL (--redis-ssl)", redisSsl),
                blank(redisUrl) ? null : redisUrl.trim(),
                ValueParsers.bool("REDIS_CLUSTER (--redis-cluster)", redisCluster),
                redisKeyPrefix,
                positive("REDIS_TIMEOUT (--redis-timeout)", redisTimeout));
        if (redis.url() != null && !redis.url().matches("(?i)(redis|rediss|redis-sentinel|rediss-sentinel)://.+")) {
            throw ValueParsers.invalid("REDIS_URL (--redis-url)", "<hidden>",
                    "a URI starting with redis://, rediss:// or redis-sentinel://");
        }

        URI statusUrl;
        if (githubStatusUrl.equals("default")) {
            statusUrl = upstream.toString().equalsIgnoreCase(PUBLIC_GITHUB_API) ? URI.create(PUBLIC_STATUS_URL) : null;
        } else {
            statusUrl = blank(githubStatusUrl)
                    ? null
                    : ValueParsers.httpUrl("GITHUB_STATUS_URL (--github-status-url)", githubStatusUrl);
        }
        Settings.Resilience resilience = new Settings.Resilience(
                blank(staleMaxAge) ? null : ValueParsers.duration("STALE_MAX_AGE (--stale-max-age)", staleMaxAge),
                statusUrl,
                positive("GITHUB_STATUS_INTERVAL (--github-status-interval)", githubStatusInterval),
                ValueParsers.integer("CIRCUIT_FAILURE_THRESHOLD (--circuit-failure-threshold)",
                        circuitFailureThreshold, 0, 1_000_000),
                positive("CIRCUIT_OPEN_DURATION (--circuit-open-duration)", circuitOpenDuration),
                ValueParsers.integer("UPSTREAM_MAX_CONCURRENCY (--upstream-max-concurrency)",
                        upstreamMaxConcurrency, 1, 100_000));

        long headerBytes = ValueParsers.byteSize("MAX_REQUEST_HEADER_BYTES (--max-request-header-bytes)",
                maxRequestHeaderBytes);
        if (headerBytes < 1024 || headerBytes > (1 << 20)) {
            throw ValueParsers.invalid("MAX_REQUEST_HEADER_BYTES (--max-request-header-bytes)",
                    maxRequestHeaderBytes, "a size from 1KiB to 1MiB");
        }
        Settings.Limits limits = new Settings.Limits(
                positive("IDLE_TIMEOUT (--idle-timeout)", idleTimeout),
                (int) headerBytes,
                ValueParsers.byteSize("MAX_REQUEST_BODY_BYTES (--max-request-body-bytes)", maxRequestBodyBytes),
                ValueParsers.duration("SHUTDOWN_GRACE_PERIOD (--shutdown-grace-period)", shutdownGracePeriod));

        String userLabel = metricsUserLabel.trim().toLowerCase(Locale.ROOT);
        if (!List.of("login", "hash", "none").contains(userLabel)) {
            throw ValueParsers.invalid("METRICS_USER_LABEL (--metrics-user-label)", metricsUserLabel,
                    "login, hash or none");
        }
        Path cert = blank(tlsCert) ? null : Path.of(tlsCert.trim());
        Path key = blank(tlsKey) ? null : Path.of(tlsKey.trim());
        if ((cert == null) != (key == null)) {
            throw new SettingsException("Invalid TLS settings: TLS_CERT (--tls-cert) and TLS_KEY (--tls-key) "
                    + "must be set together. Set both to serve HTTPS, or neither for plain HTTP.");
        }
        if (!blank(cacheKeySecret) && cacheKeySecret.length() < 16) {
            throw ValueParsers.invalid("CACHE_KEY_SECRET (--cache-key-secret)", "<hidden>",
                    "a secret of at least 16 characters");
        }
        Settings.Access access = new Settings.Access(
                logins(githubUsers),
                logins(githubOrgs),
                ValueParsers.duration("AUTH_CACHE_TTL (--auth-cache-ttl)", authCacheTtl),
                userLabel,
                blank(adminToken) ? null : adminToken,
                blank(cacheKeySecret) ? null : cacheKeySecret,
                cert,
                key);

        long memoryBytes = ValueParsers.byteSize("CACHE_MEMORY_MAX_BYTES (--cache-memory-max-bytes)",
                cacheMemoryMaxBytes);
        long maxEntryBytes = ValueParsers.byteSize("CACHE_MAX_ENTRY_BYTES (--cache-max-entry-bytes)",
                cacheMaxEntryBytes);
        if (maxEntryBytes > Integer.MAX_VALUE - 64) {
            throw ValueParsers.invalid("CACHE_MAX_ENTRY_BYTES (--cache-max-entry-bytes)", cacheMaxEntryBytes,
                    "a size below 2GiB");
        }
        return new Settings(
                bindAddress.trim(),
                ValueParsers.integer("PORT (--port)", port, 0, 65535),
                upstream,
                publicUrl,
                memoryBytes,
                maxEntryBytes,
                positive("UPSTREAM_CONNECT_TIMEOUT (--upstream-connect-timeout)", upstreamConnectTimeout),
                positive("UPSTREAM_TIMEOUT (--upstream-timeout)", upstreamTimeout),
                cacheType(),
                Path.of(cacheDir.trim()),
                ValueParsers.byteSize("CACHE_MAX_BYTES (--cache-max-bytes)", cacheMaxBytes),
                positive("CACHE_TTL (--cache-ttl)", cacheTtl),
                redis,
                resilience,
                limits,
                access,
                ValueParsers.bool("ETAG_DERIVATION (--etag-derivation)", etagDerivation),
                logLevel("LOG_LEVEL (--log-level)", logLevel),
                logLevel("REQUEST_LOG_LEVEL (--request-log-level)", requestLogLevel));
    }

    private CacheType cacheType() {
        try {
            return CacheType.valueOf(cacheType.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ValueParsers.invalid("CACHE_TYPE (--cache-type)", cacheType, "memory, disk or redis");
        }
    }

    private static String logLevel(String setting, String value) {
        String level = value.trim().toUpperCase(Locale.ROOT);
        if (!List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF").contains(level)) {
            throw ValueParsers.invalid(setting, value, "TRACE, DEBUG, INFO, WARN, ERROR or OFF");
        }
        return level;
    }

    private static Duration positive(String setting, String value) {
        Duration duration = ValueParsers.duration(setting, value);
        if (duration.isZero()) {
            throw ValueParsers.invalid(setting, value, "a duration greater than zero, such as 500ms or 10s");
        }
        return duration;
    }

    /** Splits a colon- or comma-separated list of GitHub logins, as the original mirror accepted. */
    private static List<String> logins(String value) {
        return Arrays.stream(value.split("[:,]"))
                .map(String::trim)
                .filter(login -> !login.isEmpty())
                .map(login -> login.toLowerCase(Locale.ROOT))
                .distinct()
                .toList();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = MirrorCommand.class.getPackage().getImplementationVersion();
            return new String[] {"github-mirror " + (version == null ? "development build" : version)};
        }
    }
}
