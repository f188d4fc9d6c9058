package io.ghmirror.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code redis-server} child process for tests, listening on a free port of 127.0.0.1 with
 * persistence off and its working files in a fresh temporary directory.
 *
 * <p>The process can be stopped and started again on the same port to simulate an outage. Only
 * processes started by this class are ever signalled, through their own {@link Process} handles.
 * A JVM shutdown hook kills servers that a crashed test left running.
 */
public final class RedisServerProcess implements AutoCloseable {

    /** The only address test servers listen on. */
    public static final String HOST = "127.0.0.1";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    private static final int PING_TIMEOUT_MILLIS = 500;
    private static final int MAX_PORT_ATTEMPTS = 5;
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(
                () -> RUNNING.forEach(Process::destroyForcibly), "redis-test-server-cleanup"));
    }

    private final String executable;
    private final String password;
    private final Integer replicaOfPort;
    private final boolean clusterEnabled;
    private final List<String> extraArgs;
    private final Path directory;
    private int port;
    private Process process;

    private RedisServerProcess(Builder builder) throws IOException {
        this.executable = findExecutable("redis-server");
        this.password = builder.password;
        this.replicaOfPort = builder.replicaOfPort;
        this.clusterEnabled = builder.clusterEnabled;
        this.extraArgs = List.copyOf(builder.extraArgs);
        this.directory = Files.createTempDirectory("redis-test-");
    }

    /** Returns a builder for a server with no password, no replication and no cluster mode. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a plain server with default settings.
     *
     * @return the running server
     * @throws IllegalStateException when {@code redis-server} is not installed or does not start
     */
    public static RedisServerProcess startDefault() {
        return builder().start();
    }

    /**
     * Returns the absolute path of the named executable found on {@code PATH} or in {@code
     * /usr/bin}.
     *
     * @throws IllegalStateException when the executable is missing, with the install command
     */
    static String findExecutable(String name) {
        List<String> directories = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            directories.addAll(List.of(path.split(File.pathSeparator)));
        }
        directories.add("/usr/bin");
        for (String directory : directories) {
            Path candidate = Path.of(directory, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        String packageName = name.equals("redis-server") ? "redis-server" : "redis-tools";
        throw new IllegalStateException(name + " was not found on PATH or in /usr/bin. The Redis"
                + " tests run against a real server: install it with `apt-get install "
                + packageName + "` and run the tests again.");
    }

    /** Returns the loopback port the server listens on. */
    public int port() {
        return port;
    }

    /** Returns {@value #HOST}, the address the server listens on. */
    public String host() {
        return HOST;
    }

    /** Returns the password the server requires, or {@code null} when it requires none. */
    public String password() {
        return password;
    }

    /** Returns whether the server process is alive. */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Returns the operating system process id, or -1 when the server is not running. */
    public long pid() {
        return isRunning() ? process.pid() : -1;
    }

    /**
     * Starts the server, on a new free port the first time and on the same port afterwards, and
     * waits until it replies to {@code PING}.
     *
     * @throws IllegalStateException when it is already running or does not reply in time; the
     *     message contains the end of the server log
     */
    public synchronized void start() {
        if (isRunning()) {
            throw new IllegalStateException("redis-server is already running on port " + port);
        }
        if (port != 0) {
            launch();
            return;
        }
        // A free port found now may be taken by another process before redis-server binds it,
        // so the first start retries with other ports.
        IllegalStateException lastFailure = null;
        for (int attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
            port = freePort(clusterEnabled);
            try {
                launch();
                return;
            } catch (IllegalStateException e) {
                lastFailure = e;
                if (!readLog().contains("Address already in use")) {
                    break;
                }
            }
        }
        port = 0;
        throw lastFailure;
    }

    /**
     * Stops the server with SIGTERM and, when it has not exited after 5 seconds, with SIGKILL.
     * Does nothing when the server is not running.
     */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        try {
            process.destroy();
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            RUNNING.remove(process);
            process = null;
        }
    }

    /** Stops the server and deletes its temporary directory. */
    @Override
    public void close() {
        stop();
        deleteDirectory();
    }

    /**
     * Opens a new inspection connection, authenticated when the server has a password.
     *
     * @throws UncheckedIOException when the server cannot be reached
     */
    public RedisServerConnection connect() {
        try {
            return new RedisServerConnection(HOST, port, password, 5_000);
        } catch (IOException e) {
            throw new UncheckedIOException("connecting to redis-server on port " + port + " failed", e);
        }
    }

    /**
     * Sends one command on a fresh connection.
     *
     * @return the reply as decoded by {@link RedisServerConnection#command}
     * @throws UncheckedIOException when the server cannot be reached
     */
    public Object command(Object... args) {
        try (RedisServerConnection connection = connect()) {
            return connection.command(args);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "command " + args[0] + " to redis-server on port " + port + " failed", e);
        }
    }

    /**
     * Sends one command whose reply is text, such as {@code INFO}.
     *
     * @return the reply as a string, or {@code null} for a null reply
     */
    public String commandText(Object... args) {
        Object reply = command(args);
        return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : (String) reply;
    }

    /**
     * Returns one field of {@code INFO section}, such as {@code master_link_status} of {@code
     * replication}, or {@code null} when the server does not report it.
     */
    public String infoField(String section, String field) {
        String info = commandText("INFO", section);
        for (String line : info.split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        return null;
    }

    /**
     * Returns how many times the server ran the command since it started, from {@code INFO
     * commandstats}; 0 when it never ran.
     */
    public long commandCalls(String command) {
        String stats = infoField("commandstats", "cmdstat_" + command.toLowerCase());
        if (stats == null) {
            return 0;
        }
        for (String part : stats.split(",")) {
            if (part.startsWith("calls=")) {
                return Long.parseLong(part.substring("calls=".length()));
            }
        }
        throw new IllegalStateException("INFO commandstats line has no calls field: " + stats);
    }

    /**
     * Waits until a replica reports {@code master_link_status:up}, which means its initial sync
     * with the primary is complete.
     *
     * @throws IllegalStateException when the link is not up within the timeout
     */
    public void awaitReplicationLinkUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String status = null;
        while (System.nanoTime() < deadline) {
            status = infoField("replication", "master_link_status");
            if ("up".equals(status)) {
                return;
            }
            pause(20);
        }
        throw new IllegalStateException("replica on port " + port + " did not report"
                + " master_link_status:up within " + timeout + ", last status: " + status);
    }

    /** Returns the server log written so far, or an empty string when there is none. */
    public String readLog() {
        try {
            Path log = directory.resolve("redis.log");
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(server log unreadable: " + e + ")";
        }
    }

    private void launch() {
        List<String> command = new ArrayList<>(List.of(
                executable,
                "--bind", HOST,
                "--port", Integer.toString(port),
                "--save", "",
                "--appendonly", "no",
                "--dir", directory.toString()));
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
            if (replicaOfPort != null) {
                command.addAll(List.of("--masterauth", password));
            }
        }
        if (replicaOfPort != null) {
            command.addAll(List.of("--replicaof", HOST, replicaOfPort.toString()));
        }
        if (clusterEnabled) {
            command.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"));
        }
        command.addAll(extraArgs);

        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("redis.log").toFile()));
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("starting " + executable + " failed", e);
        }
        RUNNING.add(process);
        awaitPing();
    }

    private void awaitPing() {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        Exception lastError = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                int exitCode = process.exitValue();
                stop();
                throw new IllegalStateException("redis-server on port " + port + " exited with code "
                        + exitCode + " during startup. Server log:\n" + tail(readLog()));
            }
            try (RedisServerConnection connection =
                    new RedisServerConnection(HOST, port, password, PING_TIMEOUT_MILLIS)) {
                if ("PONG".equals(connection.command("PING"))) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                lastError = e;
            }
            pause(10);
        }
        stop();
        throw new IllegalStateException("redis-server on port " + port + " did not reply to PING within "
                + STARTUP_TIMEOUT + " (last error: " + lastError + "). Server log:\n" + tail(readLog()));
    }

    private static String tail(String log) {
        return log.length() <= 2_000 ? log : log.substring(log.length() - 2_000);
    }

    /**
     * Returns a port that is free on the loopback address right now. Cluster nodes also need port
     * + 10000 free for the cluster bus.
     */
    private static int freePort(boolean withClusterBus) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int candidate = bindAndRelease(0);
            if (!withClusterBus) {
                return candidate;
            }
            if (candidate + 10_000 <= 65_535 && bindAndRelease(candidate + 10_000) != -1) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free loopback port with a free cluster bus port found");
    }

    /** Binds the port (0 for any) on the loopback address and returns it, or -1 when it is taken. */
    private static int bindAndRelease(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            if (port == 0) {
                throw new UncheckedIOException("binding a free loopback port failed", e);
            }
            return -1;
        }
    }

    private void deleteDirectory() {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // A leftover temporary directory does not affect other tests.
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for redis-server", e);
        }
    }

    /** Settings for a test server; {@link #start()} creates and starts it. */
    public static final class Builder {

        private String password;
        private Integer replicaOfPort;
        private boolean clusterEnabled;
        private final List<String> extraArgs = new ArrayList<>();

        private Builder() {}

        /** Requires clients to authenticate with this password ({@code --requirepass}). */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /**
         * Makes the server a replica of the server on this loopback port ({@code --replicaof});
         * with a password set, the replica also uses it to authenticate to the primary.
         */
        public Builder replicaOf(int primaryPort) {
            this.replicaOfPort = primaryPort;
            return this;
        }

        /** Starts the server in cluster mode ({@code --cluster-enabled yes}). */
        public Builder clusterEnabled(boolean clusterEnabled) {
            this.clusterEnabled = clusterEnabled;
            return this;
        }

        /** Appends further {@code redis-server} arguments, such as {@code "--maxmemory", "10mb"}. */
        public Builder extraArgs(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /**
         * Creates and starts the server.
         *
         * @return the running server
         * @throws IllegalStateException when {@code redis-server} is not installed or does not start
         */
        public RedisServerProcess start() {
            RedisServerProcess server;
            try {
                server = new RedisServerProcess(this);
            } catch (IOException e) {
                throw new UncheckedIOException("creating a temporary directory for redis-server failed", e);
            }
            try {
                server.start();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        }
    }
}
