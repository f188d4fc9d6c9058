package io.ghmirror.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of cluster-enabled {@link RedisServerProcess} masters on loopback ports, with no
 * replicas, joined by {@code redis-cli --cluster create}.
 */
public final class RedisServerCluster implements AutoCloseable {

    private static final Duration CREATE_TIMEOUT = Duration.ofSeconds(20);

    private final List<RedisServerProcess> nodes;

    private RedisServerCluster(List<RedisServerProcess> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Starts the masters, assigns all 16384 hash slots across them and waits until every node
     * reports {@code cluster_state:ok}.
     *
     * @param masters the number of masters; Redis requires at least 3
     * @return the running cluster
     * @throws IllegalStateException when {@code redis-server} or {@code redis-cli} is missing, or
     *     the cluster is not ready within 20 seconds; the message contains the redis-cli output
     */
    public static RedisServerCluster start(int masters) {
        String redisCli = RedisServerProcess.findExecutable("redis-cli");
        List<RedisServerProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < masters; i++) {
                nodes.add(RedisServerProcess.builder().clusterEnabled(true).start());
            }
            RedisServerCluster cluster = new RedisServerCluster(nodes);
            cluster.create(redisCli);
            cluster.awaitClusterOk();
            return cluster;
        } catch (RuntimeException e) {
            nodes.forEach(RedisServerProcess::close);
            throw e;
        }
    }

    /** Returns the nodes in the order they were started. */
    public List<RedisServerProcess> nodes() {
        return nodes;
    }

    private void create(String redisCli) {
        List<String> command = new ArrayList<>(List.of(redisCli, "--cluster", "create"));
        for (RedisServerProcess node : nodes) {
            command.add(node.host() + ":" + node.port());
        }
        command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));

        Path output;
        Process process;
        try {
            output = Files.createTempFile("redis-cli-cluster-create-", ".log");
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("starting " + redisCli + " failed", e);
        }
        try {
            boolean exited = process.waitFor(CREATE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new IllegalStateException("redis-cli --cluster create did not finish within "
                        + CREATE_TIMEOUT + ". Output:\n" + readAndDelete(output));
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("redis-cli --cluster create exited with code "
                        + process.exitValue() + ". Output:\n" + readAndDelete(output));
            }
            readAndDelete(output);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the cluster", e);
        }
    }

    private void awaitClusterOk() {
        long deadline = System.nanoTime() + CREATE_TIMEOUT.toNanos();
        for (RedisServerProcess node : nodes) {
            String state = null;
            while (!"ok".equals(state)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cluster node on port " + node.port()
                            + " did not report cluster_state:ok within " + CREATE_TIMEOUT
                            + ", last state: " + state);
                }
                state = clusterInfoField(node, "cluster_state");
                if (!"ok".equals(state)) {
                    RedisServerProcess.pause(20);
                }
            }
        }
    }

    private static String clusterInfoField(RedisServerProcess node, String field) {
        for (String line : node.commandText("CLUSTER", "INFO").split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        return null;
    }

    private static String readAndDelete(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Files.deleteIfExists(file);
            return text;
        } catch (IOException e) {
            return "(redis-cli output unreadable: " + e + ")";
        }
    }

    /** Stops every node and deletes their temporary directories. */
    @Override
    public void close() {
        nodes.forEach(RedisServerProcess::close);
    }
}
