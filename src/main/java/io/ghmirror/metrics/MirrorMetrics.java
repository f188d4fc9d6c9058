package io.ghmirror.metrics;

import io.ghmirror.cache.CacheStore;
import io.ghmirror.cache.TierCounters;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.Function;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every metric the mirror exports. Names of the original Python mirror are kept
 * ({@code http_request_total}, {@code request_latency_seconds} with labels cache, method and
 * status); the rest carry the {@code github_mirror_} prefix.
 */
public final class MirrorMetrics {

    /** Latency buckets in seconds, from a memory hit to a slow upstream. */
    private static final double[] LATENCY_BUCKETS = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
    };

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    private final Counter requests;
    private final Histogram latency;
    private final Counter upstreamRequests;
    private final Histogram redisLatency;
    private final Counter rateLimitUnits;
    private final Histogram upstreamQueueTime;
    private final Gauge upstreamInFlight;
    private final Gauge offline;
    private final Counter offlineTransitions;
    private final Gauge rateLimitRemaining;
    private final Gauge rateLimitLimit;
    private final Gauge rateLimitReset;
    private final Counter accessDecisions;
    private final Counter adminActions;

    public MirrorMetrics() {
        JvmMetrics.builder().register(registry);
        requests = Counter.builder()
                .name("http_request_total")
                .help("Requests answered by the mirror, all routes of the proxy")
                .register(registry);
        latency = Histogram.builder()
                .name("request_latency_seconds")
                .help("Time from receiving a proxied request to sending the last byte of its response")
                .labelNames("cache", "method", "status")
                .classicUpperBounds(LATENCY_BUCKETS)
                .register(registry);
        upstreamRequests = Counter.builder()
                .name("github_mirror_upstream_requests_total")
                .help("Requests sent to the upstream, by response status or failure kind")
                .labelNames("status")
                .register(registry);
        redisLatency = Histogram.builder()
                .name("github_mirror_redis_command_seconds")
                .help("Latency of Redis commands issued by the cache")
                .labelNames("command")
                .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
                .register(registry);
        rateLimitUnits = Counter.builder()
                .name("github_mirror_rate_limit_units_total")
                .help("GitHub rate-limit units: spent by upstream calls, or saved by 304s and answers from the cache")
                .labelNames("result", "user")
                .register(registry);
        upstreamQueueTime = Histogram.builder()
                .name("github_mirror_upstream_queue_seconds")
                .help("Time a request waited for a free upstream slot")
                .classicUpperBounds(0.0001, 0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30)
                .register(registry);
        upstreamInFlight = Gauge.builder()
                .name("github_mirror_upstream_in_flight")
                .help("Upstream requests in flight")
                .register(registry);
        offline = Gauge.builder()
                .name("github_mirror_offline")
                .help("1 while the mirror treats GitHub as down and serves from the cache only, by reason")
                .labelNames("reason")
                .register(registry);
        offlineTransitions = Counter.builder()
                .name("github_mirror_offline_transitions_total")
                .help("Times the mirror went offline or came back online")
                .labelNames("direction", "reason")
                .register(registry);
        rateLimitRemaining = Gauge.builder()
                .name("github_mirror_rate_limit_remaining")
                .help("X-RateLimit-Remaining last seen per credential and resource")
                .labelNames("user", "resource")
                .register(registry);
        rateLimitLimit = Gauge.builder()
                .name("github_mirror_rate_limit_limit")
                .help("X-RateLimit-Limit last seen per credential and resource")
                .labelNames("user", "resource")
                .register(registry);
        rateLimitReset = Gauge.builder()
                .name("github_mirror_rate_limit_reset_timestamp_seconds")
                .help("X-RateLimit-Reset last seen per credential and resource, in epoch seconds")
                .labelNames("user", "resource")
                .register(registry);
        accessDecisions = Counter.builder()
                .name("github_mirror_access_decisions_total")
                .help("Allowlist decisions by result")
                .labelNames("result")
                .register(registry);
        adminActions = Counter.builder()
                .name("github_mirror_admin_actions_total")
                .help("Admin API calls by action and result")
                .labelNames("action", "result")
                .register(registry);
    }

    /** Registers size and operation metrics for every cache tier. */
    public void registerTiers(List<CacheStore> tiers) {
        GaugeWithCallback.builder()
                .name("github_mirror_cache_size")
                .help("Bytes taken by cached entries, per tier (an estimate for redis)")
                .labelNames("tier")
                .callback(callback -> tiers.forEach(tier -> callback.call(tier.sizeBytes(), tier.name())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("github_mirror_cached_objects")
                .help("Cached entries, per tier (an estimate for redis)")
                .labelNames("tier")
                .callback(callback -> tiers.forEach(tier -> callback.call(tier.entryCount(), tier.name())))
                .register(registry);
        registerTierCounter(tiers, "github_mirror_cache_hits_total", "Lookups that found an entry", c -> c.hits);
        registerTierCounter(tiers, "github_mirror_cache_misses_total", "Lookups that found nothing", c -> c.misses);
        registerTierCounter(tiers, "github_mirror_cache_writes_total", "Entries written", c -> c.writes);
        registerTierCounter(tiers, "github_mirror_cache_evictions_total",
                "Entries evicted for the byte budget or expired", c -> c.evictions);
        registerTierCounter(tiers, "github_mirror_cache_errors_total",
                "Store operations that failed; requests went on without the tier", c -> c.errors);
        registerTierCounter(tiers, "github_mirror_cache_corrupt_entries_total",
                "Stored entries that failed to decode or verify, deleted and never served", c -> c.corrupt);
    }

    private void registerTierCounter(
            List<CacheStore> tiers, String name, String help, Function<TierCounters, LongAdder> counter) {
        CounterWithCallback.builder()
                .name(name)
                .help(help)
                .labelNames("tier")
                .callback(callback -> tiers.forEach(
                        tier -> callback.call(counter.apply(tier.counters()).sum(), tier.name())))
                .register(registry);
    }

    /** Records one completed request. */
    public void observeRequest(String outcome, String method, int status, double seconds) {
        requests.inc();
        latency.labelValues(outcome, method, Integer.toString(status)).observe(seconds);
    }

    /** Records one upstream exchange by its status code, or by a failure kind such as {@code timeout}. */
    public void observeUpstream(String status) {
        upstreamRequests.labelValues(status).inc();
    }

    /** Records the latency of one Redis command. */
    public void observeRedis(String command, double seconds) {
        redisLatency.labelValues(command).observe(seconds);
    }

    /** Counts a rate-limit unit spent by an upstream call or saved by the cache, per credential label. */
    public void countUnit(boolean spent, String user) {
        rateLimitUnits.labelValues(spent ? "spent" : "saved", user).inc();
    }

    /** Records the latest rate-limit headers of a credential. */
    public void observeRateLimit(String user, String resource, long limit, long remaining, long resetEpochSeconds) {
        rateLimitLimit.labelValues(user, resource).set(limit);
        rateLimitRemaining.labelValues(user, resource).set(remaining);
        rateLimitReset.labelValues(user, resource).set(resetEpochSeconds);
    }

    public void observeQueueTime(double seconds) {
        upstreamQueueTime.observe(seconds);
    }

    public void upstreamStarted() {
        upstreamInFlight.inc();
    }

    public void upstreamFinished() {
        upstreamInFlight.dec();
    }

    /** Records that the mirror went offline ({@code true}) or came back, and why. */
    public void offline(String reason, boolean isOffline) {
        offline.labelValues(reason).set(isOffline ? 1 : 0);
        offlineTransitions.labelValues(isOffline ? "offline" : "online", reason).inc();
    }

    public void countAccessDecision(String result) {
        accessDecisions.labelValues(result).inc();
    }

    public void countAdminAction(String action, String result) {
        adminActions.labelValues(action, result).inc();
    }

    /** Returns the registry, for tests and custom collectors. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Returns the content type of {@link #scrape()}. */
    public String contentType() {
        return writer.getContentType();
    }

    /** Returns all metrics in the Prometheus text format. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
