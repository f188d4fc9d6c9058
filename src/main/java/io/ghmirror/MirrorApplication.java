package io.ghmirror;

import io.ghmirror.access.AdminHandler;
import io.ghmirror.access.AllowlistGate;
import io.ghmirror.cache.CacheStore;
import io.ghmirror.cache.CacheStoreException;
import io.ghmirror.cache.DiskStore;
import io.ghmirror.cache.MemoryStore;
import io.ghmirror.cache.RedisStore;
import io.ghmirror.cache.RedisStoreOptions;
import io.ghmirror.cache.TieredCache;
import io.ghmirror.config.Settings;
import io.ghmirror.metrics.MirrorMetrics;
import io.ghmirror.mirror.CacheKeyGenerator;
import io.ghmirror.mirror.ErrorBodies;
import io.ghmirror.mirror.GitHubStatusPoller;
import io.ghmirror.mirror.MirrorPipeline;
import io.ghmirror.mirror.UpstreamHealth;
import io.ghmirror.server.MetricsEndpoint;
import io.ghmirror.server.MirrorServer;
import io.ghmirror.upstream.UpstreamClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running mirror: assembles the stack once, in the order a request passes through it.
 *
 * <pre>
 * client → Jetty (virtual threads) → routes → access gate → cache key → decision
 *        → coalescer → upstream client (JDK HttpClient) → tiered cache (memory → disk | redis)
 *        → response (merged headers, rewritten URLs, X-Cache) → log line and metrics
 * </pre>
 */
public final class MirrorApplication implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MirrorApplication.class);

    private final Settings settings;
    private final MirrorMetrics metrics;
    private final TieredCache cache;
    private final UpstreamClient upstream;
    private final UpstreamHealth health;
    private final GitHubStatusPoller statusPoller;
    private final MirrorServer server;

    private MirrorApplication(Settings settings) {
        this.settings = settings;
        this.metrics = new MirrorMetrics();
        CacheStore second = openSecondTier(settings, metrics);
        this.cache = new TieredCache(new MemoryStore(settings.cacheMemoryMaxBytes()), second);
        metrics.registerTiers(cache.tiers());
        CacheKeyGenerator keys = new CacheKeyGenerator(keySecret(settings, second));

        this.upstream = new UpstreamClient(settings.upstream(), settings.upstreamConnectTimeout(),
                settings.upstreamTimeout());
        Clock clock = Clock.systemUTC();
        this.health = new UpstreamHealth(settings.resilience().circuitFailureThreshold(),
                settings.resilience().circuitOpenDuration(), settings.resilience().statusInterval(), metrics, clock);
        this.statusPoller = settings.resilience().statusUrl() == null
                ? null
                : new GitHubStatusPoller(settings.resilience().statusUrl(), settings.resilience().statusInterval(),
                        settings.upstreamConnectTimeout(), health);
        // The gate reads /user through the pipeline, and the pipeline calls the gate, so they are connected once both exist.
        AllowlistGate access = new AllowlistGate(settings, keys, metrics, clock);
        MirrorPipeline pipeline = new MirrorPipeline(settings, upstream, cache, keys, metrics, health, access, clock);
        access.connect(pipeline::internalGet);
        AdminHandler admin = settings.access().adminToken() == null ? null : new AdminHandler(settings, cache, metrics);

        MetricsEndpoint metricsEndpoint = new MetricsEndpoint() {
            @Override
            public byte[] scrape() {
                return metrics.scrape();
            }

            @Override
            public String contentType() {
                return metrics.contentType();
            }
        };
        this.server = new MirrorServer(settings, pipeline, metricsEndpoint, this::readiness, admin);
    }

    /**
     * Opens the stores, starts the listener and the status poller.
     *
     * @throws Exception when the port cannot be bound or a store cannot be opened
     */
    public static MirrorApplication start(Settings settings) throws Exception {
        MirrorApplication application = new MirrorApplication(settings);
        try {
            application.server.start();
        } catch (Exception e) {
            application.close();
            throw e;
        }
        if (application.statusPoller != null) {
            application.statusPoller.start();
        }
        log.info("github-mirror ready: upstream {}, cache {}, public URL {}", settings.upstream(),
                settings.cacheType().name().toLowerCase(java.util.Locale.ROOT),
                settings.publicUrl() == null ? "from each request's Host header" : settings.publicUrl());
        return application;
    }

    private static CacheStore openSecondTier(Settings settings, MirrorMetrics metrics) {
        return switch (settings.cacheType()) {
            case MEMORY -> null;
            case DISK -> DiskStore.open(settings.cacheDir(), settings.cacheMaxBytes());
            case REDIS -> {
                Settings.Redis redis = settings.redis();
                RedisStoreOptions options = RedisStoreOptions.defaults()
                        .withHost(redis.primaryEndpoint())
                        .withReaderHost(redis.readerEndpoint().equals(redis.primaryEndpoint()) ? null : redis.readerEndpoint())
                        .withPort(redis.port())
                        .withPassword(redis.password())
                        .withSsl(redis.ssl())
                        .withRedisUrl(redis.url())
                        .withCluster(redis.cluster())
                        .withKeyPrefix(redis.keyPrefix())
                        .withEntryTtl(settings.cacheTtl())
                        .withCommandTimeout(redis.timeout());
                yield new RedisStore(options, metrics::observeRedis);
            }
        };
    }

    /**
     * Returns the secret of the keyed hash in cache keys: the configured one, else the one kept by
     * the persistent store so restarts and replicas derive the same keys, else a random one.
     */
    private static byte[] keySecret(Settings settings, CacheStore second) {
        if (settings.access().cacheKeySecret() != null) {
            return sha256(settings.access().cacheKeySecret());
        }
        try {
            if (second instanceof DiskStore disk) {
                return disk.keySecret();
            }
            if (second instanceof RedisStore redis) {
                return redisKeySecret(redis);
            }
        } catch (CacheStoreException e) {
            // NOTE: entries this process writes then use keys that no other replica derives. They stay
            // correct, because the secret only separates variants, but are not shared until a restart.
            log.warn("Cannot read the cache key secret from the {} store ({}); using a random secret for this "
                    + "process. Set CACHE_KEY_SECRET to share entries regardless.", second.name(), e.getMessage());
        }
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /**
     * Reads the shared key secret from Redis, waiting up to 15 s for the first connection: a
     * replica that fell back to its own secret would not share a single entry with the others.
     *
     * @throws CacheStoreException when Redis stays unreachable for that long
     */
    private static byte[] redisKeySecret(RedisStore redis) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try {
                return redis.keySecret();
            } catch (CacheStoreException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200); // retry pacing for a connection still being established
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** Returns the readiness state and its JSON detail for {@code /readyz}. */
    private io.ghmirror.server.Routes.Readiness readiness() {
        List<String> stores = new ArrayList<>();
        for (CacheStore tier : cache.tiers()) {
            String problem = null;
            if (tier instanceof DiskStore disk) {
                problem = disk.problem();
            } else if (tier instanceof RedisStore redis) {
                problem = redis.problem();
            }
            stores.add("{\"tier\":\"" + tier.name() + "\",\"state\":\"" + (problem == null ? "ok" : "degraded")
                    + "\"" + (problem == null ? "" : ",\"problem\":\"" + ErrorBodies.escape(problem) + "\"") + "}");
        }
        boolean offline = health.isOffline();
        String json = "{\"status\":\"ready\",\"upstream\":{\"url\":\"" + ErrorBodies.escape(settings.upstream().toString())
                + "\",\"offline\":" + offline + ",\"reason\":\"" + ErrorBodies.escape(health.offlineReason())
                + "\",\"circuit\":\"" + health.circuitState() + "\"},\"cache\":[" + String.join(",", stores) + "]}";
        // Offline and degraded stores still serve: the mirror is most useful exactly then.
        return new io.ghmirror.server.Routes.Readiness(true, json);
    }

    public int port() {
        return server.port();
    }

    public MirrorMetrics metrics() {
        return metrics;
    }

    public TieredCache cache() {
        return cache;
    }

    public UpstreamHealth health() {
        return health;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Stops gracefully: in-flight requests finish within the grace period, then stores close. */
    @Override
    public void close() {
        server.stopGracefully();
        if (statusPoller != null) {
            statusPoller.close();
        }
        upstream.close();
        cache.close();
        log.info("github-mirror stopped");
    }
}
