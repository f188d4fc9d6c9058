package io.ghmirror.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Every setting of a running mirror, validated. Built by {@link MirrorCommand} from flags and
 * environment variables; nothing else reads the environment.
 *
 * @param bindAddress address the listener binds to
 * @param port listener port; 0 picks a free port (used by tests)
 * @param upstream base URL of the GitHub API, for example {@code https://api.github.com} or
 *     {@code https://HOST/api/v3}, without a trailing slash
 * @param publicUrl public URL of the mirror that upstream URLs are rewritten to, or {@code null}
 *     to derive it from each request's {@code Host}
 * @param cacheMemoryMaxBytes byte budget of the memory tier
 * @param cacheMaxEntryBytes largest body stored; larger responses stream through uncached
 * @param upstreamConnectTimeout time allowed to open a connection to the upstream
 * @param upstreamTimeout time allowed for the upstream to send the response headers, and again
 *     for each read of the response body
 * @param logLevel Logback level of the mirror's own messages
 * @param requestLogLevel Logback level of the per-request log lines; above INFO turns them off
 * @param etagDerivation whether a credential without an entry may revalidate another credential's
 *     body with the ETag GitHub would compute for it
 */
public record Settings(
        String bindAddress,
        int port,
        URI upstream,
        URI publicUrl,
        long cacheMemoryMaxBytes,
        long cacheMaxEntryBytes,
        Duration upstreamConnectTimeout,
        Duration upstreamTimeout,
        CacheType cacheType,
        Path cacheDir,
        long cacheMaxBytes,
        Duration cacheTtl,
        Redis redis,
        Resilience resilience,
        Limits limits,
        Access access,
        boolean etagDerivation,
        String logLevel,
        String requestLogLevel) {

    /**
     * Redis connection settings, named as in the original Python mirror where it had them.
     *
     * @param primaryEndpoint host of the primary, which receives writes
     * @param readerEndpoint host that serves reads, often a replica
     * @param port port of both endpoints
     * @param password password, or {@code null}
     * @param ssl whether to connect with TLS
     * @param url a Lettuce URI ({@code redis://}, {@code rediss://}, {@code redis-sentinel://}) that
     *     overrides the endpoint settings, or {@code null}
     * @param cluster whether the endpoints belong to a Redis Cluster
     * @param keyPrefix prefix of every key, so several mirrors can share one Redis
     * @param timeout time allowed for one Redis command
     */
    public record Redis(
            String primaryEndpoint,
            String readerEndpoint,
            int port,
            String password,
            boolean ssl,
            String url,
            boolean cluster,
            String keyPrefix,
            Duration timeout) {

        @Override
        public String toString() {
            return "Redis[primaryEndpoint=" + primaryEndpoint + ", readerEndpoint=" + readerEndpoint + ", port="
                    + port + ", password=" + (password == null ? "none" : "set") + ", ssl=" + ssl + ", url="
                    + (url == null ? "none" : "set") + ", cluster=" + cluster + ", keyPrefix=" + keyPrefix
                    + ", timeout=" + timeout + "]";
        }
    }

    /**
     * How the mirror keeps answering when GitHub does not.
     *
     * @param staleMaxAge oldest stored response served when upstream fails, or {@code null} for no limit
     * @param statusUrl GitHub status API URL polled for outages, or {@code null} when disabled
     * @param statusInterval time between two polls of the status API
     * @param circuitFailureThreshold consecutive connection failures or timeouts that open the circuit
     * @param circuitOpenDuration time the circuit stays open before a probe request is let through
     * @param upstreamMaxConcurrency upstream requests in flight at once; queued requests wait
     */
    public record Resilience(
            Duration staleMaxAge,
            URI statusUrl,
            Duration statusInterval,
            int circuitFailureThreshold,
            Duration circuitOpenDuration,
            int upstreamMaxConcurrency) {}

    /**
     * Limits that protect the mirror from slow or oversized clients.
     *
     * @param idleTimeout time a client connection may stay idle, also bounding slow header reads
     * @param maxRequestHeaderBytes largest request line plus headers accepted
     * @param maxRequestBodyBytes largest request body accepted
     * @param shutdownGracePeriod time in-flight requests get to finish after SIGTERM
     */
    public record Limits(
            Duration idleTimeout, int maxRequestHeaderBytes, long maxRequestBodyBytes, Duration shutdownGracePeriod) {}

    /**
     * Access settings: the users allowed to use the mirror, the admin API and the listener's TLS.
     *
     * @param users GitHub logins allowed, lower case; empty allows everyone
     * @param orgs GitHub organizations whose members are allowed, lower case
     * @param authCacheTtl time an access decision for a token is reused before it is checked again
     * @param metricsUserLabel what the {@code user} metric label shows: {@code login}, {@code hash} or {@code none}
     * @param adminToken bearer token that enables {@code /admin/}, or {@code null} to disable it
     * @param cacheKeySecret secret for the keyed hash in cache keys, or {@code null} to use the store's own
     * @param tlsCert PEM certificate chain for the listener, or {@code null} for plain HTTP
     * @param tlsKey PEM private key for the listener, or {@code null}
     */
    public record Access(
            List<String> users,
            List<String> orgs,
            Duration authCacheTtl,
            String metricsUserLabel,
            String adminToken,
            String cacheKeySecret,
            Path tlsCert,
            Path tlsKey) {

        /** Returns whether an allowlist of users or organizations is configured. */
        public boolean allowlistEnabled() {
            return !users.isEmpty() || !orgs.isEmpty();
        }

        @Override
        public String toString() {
            return "Access[users=" + users + ", orgs=" + orgs + ", authCacheTtl=" + authCacheTtl
                    + ", metricsUserLabel=" + metricsUserLabel + ", adminToken="
                    + (adminToken == null ? "none" : "set") + ", cacheKeySecret="
                    + (cacheKeySecret == null ? "none" : "set") + ", tlsCert=" + tlsCert + ", tlsKey=" + tlsKey + "]";
        }
    }
}
