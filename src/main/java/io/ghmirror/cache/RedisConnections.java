package io.ghmirror.cache;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ReadFrom;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lettuce client, its thread pools and the primary and reader {@link RedisEndpoint}s of one
 * {@link RedisStore}, built from {@link RedisStoreOptions}.
 */
final class RedisConnections implements AutoCloseable {

    /**
     * Maximum time to open a TCP (and TLS) connection. Connecting runs in the background, and a
     * request waits for a pending attempt at most the command timeout.
     */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Maximum commands queued on one connection. Lettuce rejects further commands instead of
     * letting the queue grow while Redis is slow.
     */
    static final int REQUEST_QUEUE_SIZE = 10_000;

    /**
     * Delay between reconnect attempts after an outage: exponential from 100 ms, at most 5 s, so
     * a restarted Redis is used again within about 5 s.
     */
    private static final Delay RECONNECT_DELAY =
            Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(5), 2, TimeUnit.MILLISECONDS);

    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);
    private static final Logger log = LoggerFactory.getLogger(RedisConnections.class);

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final RedisEndpoint primary;
    private final RedisEndpoint reader;

    private RedisConnections(
            ClientResources resources, AbstractRedisClient client, RedisEndpoint primary, RedisEndpoint reader) {
        this.resources = resources;
        this.client = client;
        this.primary = primary;
        this.reader = reader;
    }

    /**
     * Creates the client and endpoints and starts connecting in the background. A Redis that is
     * down does not make this fail.
     *
     * @throws IllegalArgumentException when {@code redisUrl} is not a valid Lettuce URI, or is a
     *     {@code redis-sentinel://} URI in cluster mode
     */
    static RedisConnections open(RedisStoreOptions options, RedisLatencyObserver observer) {
        RedisURI primaryUri = primaryUri(options);
        ClientResources resources = ClientResources.builder().reconnectDelay(RECONNECT_DELAY).build();
        try {
            RedisConnections connections = options.cluster()
                    ? openCluster(options, primaryUri, resources, observer)
                    : openStandalone(options, primaryUri, resources, observer);
            connections.primary.connectInBackground();
            connections.reader.connectInBackground();
            return connections;
        } catch (RuntimeException e) {
            resources.shutdown(0, SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /** Returns the endpoint for writes, deletes and reads that must see the latest write. */
    RedisEndpoint primary() {
        return primary;
    }

    /** Returns the endpoint for entry lookups, which is the primary when no reader is configured. */
    RedisEndpoint reader() {
        return reader;
    }

    private static RedisConnections openStandalone(
            RedisStoreOptions options, RedisURI primaryUri, ClientResources resources,
            RedisLatencyObserver observer) {
        RedisClient client = RedisClient.create(resources);
        client.setOptions(clientOptions(options));
        String password = options.password();
        RedisEndpoint primary = new RedisEndpoint(
                "primary Redis at " + address(primaryUri),
                () -> client.connectAsync(ByteArrayCodec.INSTANCE, primaryUri).thenApply(RedisConnections::session),
                options.commandTimeout(), observer, password);

        RedisEndpoint reader = primary;
        boolean separateReader = options.readerConfigured()
                && (!options.effectiveReaderHost().equals(options.host())
                        || options.effectiveReaderPort() != options.port());
        if (separateReader && options.redisUrl() != null) {
            log.warn("Redis reader endpoint {}:{} is ignored because redisUrl is set; reads go to {}",
                    options.effectiveReaderHost(), options.effectiveReaderPort(), address(primaryUri));
        } else if (separateReader) {
            RedisURI readerUri = hostUri(options, options.effectiveReaderHost(), options.effectiveReaderPort());
            reader = new RedisEndpoint(
                    "reader Redis at " + address(readerUri),
                    () -> client.connectAsync(ByteArrayCodec.INSTANCE, readerUri).thenApply(RedisConnections::session),
                    options.commandTimeout(), observer, password);
        }
        return new RedisConnections(resources, client, primary, reader);
    }

    /**
     * Opens two cluster connections from one client: the primary reads and writes on masters, the
     * reader prefers replicas when a reader endpoint is configured. A configured reader host is
     * also used as a seed node for topology discovery.
     */
    private static RedisConnections openCluster(
            RedisStoreOptions options, RedisURI primaryUri, ClientResources resources,
            RedisLatencyObserver observer) {
        if (!primaryUri.getSentinels().isEmpty()) {
            throw new IllegalArgumentException("redisUrl must not be a redis-sentinel:// URI in cluster mode");
        }
        List<RedisURI> seeds = new ArrayList<>(List.of(primaryUri));
        if (options.redisUrl() == null && options.readerConfigured()) {
            seeds.add(hostUri(options, options.effectiveReaderHost(), options.effectiveReaderPort()));
        }
        RedisClusterClient client = RedisClusterClient.create(resources, seeds);
        client.setOptions(ClusterClientOptions.builder(clientOptions(options))
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(Duration.ofSeconds(60))
                        .enableAllAdaptiveRefreshTriggers()
                        .build())
                .build());

        String seedList = seeds.stream().map(RedisConnections::address).collect(Collectors.joining(","));
        String password = options.password();
        RedisEndpoint primary = new RedisEndpoint(
                "primary Redis Cluster via " + seedList,
                () -> connectCluster(client, ReadFrom.UPSTREAM),
                options.commandTimeout(), observer, password);
        RedisEndpoint reader = primary;
        if (options.readerConfigured()) {
            reader = new RedisEndpoint(
                    "reader Redis Cluster (replicas preferred) via " + seedList,
                    () -> connectCluster(client, ReadFrom.REPLICA_PREFERRED),
                    options.commandTimeout(), observer, password);
        }
        return new RedisConnections(resources, client, primary, reader);
    }

    /**
     * Loads the cluster topology, then connects. Lettuce's asynchronous connect requires loaded
     * partitions, and reloading them on every attempt also picks up topology changes made while
     * the cluster was unreachable.
     */
    private static CompletionStage<RedisEndpoint.Session> connectCluster(RedisClusterClient client, ReadFrom readFrom) {
        return client.refreshPartitionsAsync()
                .thenCompose(loaded -> client.connectAsync(ByteArrayCodec.INSTANCE))
                .thenApply(connection -> clusterSession(connection, readFrom));
    }

    private static RedisEndpoint.Session session(StatefulRedisConnection<byte[], byte[]> connection) {
        return new RedisEndpoint.Session(connection, connection.async());
    }

    private static RedisEndpoint.Session clusterSession(
            StatefulRedisClusterConnection<byte[], byte[]> connection, ReadFrom readFrom) {
        connection.setReadFrom(readFrom);
        return new RedisEndpoint.Session(connection, connection.async());
    }

    private static ClientOptions clientOptions(RedisStoreOptions options) {
        return ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE_SIZE)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(CONNECT_TIMEOUT)
                        .keepAlive(true)
                        .build())
                .timeoutOptions(TimeoutOptions.enabled(options.commandTimeout()))
                .build();
    }

    // NOTE: TLS (ssl or rediss://) and redis-sentinel:// URIs go to Lettuce unchanged, and no
    // test in this repository connects through them.
    private static RedisURI primaryUri(RedisStoreOptions options) {
        if (options.redisUrl() == null) {
            return hostUri(options, options.host(), options.port());
        }
        RedisURI uri;
        try {
            uri = RedisURI.create(options.redisUrl());
        } catch (IllegalArgumentException e) {
            // The cause is left out because its message may repeat the URI with its password.
            throw new IllegalArgumentException("redisUrl " + RedisStoreOptions.redactUrl(options.redisUrl())
                    + " is not a valid Lettuce URI (redis://, rediss:// or redis-sentinel://)");
        }
        uri.setTimeout(options.commandTimeout());
        return uri;
    }

    private static RedisURI hostUri(RedisStoreOptions options, String host, int port) {
        RedisURI.Builder builder = RedisURI.builder()
                .withHost(host)
                .withPort(port)
                .withSsl(options.ssl())
                .withTimeout(options.commandTimeout());
        if (options.password() != null) {
            builder.withPassword(options.password().toCharArray());
        }
        return builder.build();
    }

    /** Returns host and port, the Sentinel nodes and master name, or the socket path of the URI. */
    private static String address(RedisURI uri) {
        if (!uri.getSentinels().isEmpty()) {
            String sentinels = uri.getSentinels().stream()
                    .map(sentinel -> sentinel.getHost() + ":" + sentinel.getPort())
                    .collect(Collectors.joining(","));
            return "master " + uri.getSentinelMasterId() + " of Sentinel " + sentinels;
        }
        if (uri.getSocket() != null) {
            return uri.getSocket();
        }
        return uri.getHost() + ":" + uri.getPort();
    }

    /** Closes both connections, then the client and its thread pools, each within 2 seconds. */
    @Override
    public void close() {
        if (reader != primary) {
            reader.close();
        }
        primary.close();
        client.shutdown(Duration.ZERO, SHUTDOWN_TIMEOUT);
        try {
            resources.shutdown(0, SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .get(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Redis client thread pools did not shut down within {}: {}", SHUTDOWN_TIMEOUT, e.toString());
        }
    }
}
