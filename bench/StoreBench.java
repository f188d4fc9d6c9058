import io.ghmirror.cache.CacheKey;
import io.ghmirror.cache.DiskStore;
import io.ghmirror.cache.Entry;
import io.ghmirror.cache.EntryCodec;
import io.ghmirror.cache.Header;
import io.ghmirror.cache.RedisStore;
import io.ghmirror.cache.RedisStoreOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Measures the disk and Redis stores: how long a restart takes with a full disk cache, and how
 * many bytes each store spends per cached response.
 *
 * <p>Run by bench/store-bench.sh, or directly as a single-file program against the built jar:
 *
 * <pre>
 * java -cp target-bench/github-mirror.jar bench/StoreBench.java --dir /tmp/store-bench \
 *     [--entries 100000] [--repeats 5] [--jar target-bench/github-mirror.jar] [--redis-port PORT]
 * </pre>
 *
 * <p>Every figure comes with a reference measured in the same invocation: opening a store with
 * 100,000 entries against opening an empty one, and a mirror start with that cache against a
 * start with an empty cache and against the bare JVM running {@code --version}. Redis is only
 * contacted on 127.0.0.1 and only under the key prefix {@code storebench:}, which it deletes at
 * the end.
 */
public final class StoreBench {

    private static final long DISK_BUDGET_BYTES = 8L << 30;
    private static final int[] BODY_SIZES = {1024, 10 * 1024, 100 * 1024};
    private static final int SIZE_ENTRIES = 2_000;
    private static final int REDIS_SAMPLED_KEYS = 200;
    private static final Duration MIRROR_START_LIMIT = Duration.ofSeconds(60);

    private final Path workDir;
    private final int entries;
    private final int repeats;
    private final Path jar;
    private final Integer redisPort;
    private final Random random = new Random(42);

    private StoreBench(Path workDir, int entries, int repeats, Path jar, Integer redisPort) {
        this.workDir = workDir;
        this.entries = entries;
        this.repeats = repeats;
        this.jar = jar;
        this.redisPort = redisPort;
    }

    public static void main(String[] args) throws Exception {
        // The stores log every open and close at INFO; only warnings matter here.
        System.setProperty("LOG_LEVEL", System.getenv().getOrDefault("LOG_LEVEL", "WARN"));
        Path dir = null;
        int entries = 100_000;
        int repeats = 5;
        Path jar = null;
        Integer redisPort = null;
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + name);
            }
            String value = args[++i];
            switch (name) {
                case "--dir" -> dir = Path.of(value);
                case "--entries" -> entries = boundedInt(name, value, 1, 10_000_000);
                case "--repeats" -> repeats = boundedInt(name, value, 1, 100);
                case "--jar" -> jar = Path.of(value);
                case "--redis-port" -> redisPort = boundedInt(name, value, 1, 65_535);
                default -> throw new IllegalArgumentException("unknown option " + name
                        + "; expected --dir, --entries, --repeats, --jar or --redis-port");
            }
        }
        if (dir == null) {
            throw new IllegalArgumentException("--dir is required: an empty work directory for the databases");
        }
        Files.createDirectories(dir);
        new StoreBench(dir, entries, repeats, jar, redisPort).run();
    }

    private static int boundedInt(String name, String value, int min, int max) {
        int parsed;
        try {
            parsed = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'", e);
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + parsed);
        }
        return parsed;
    }

    private void run() throws Exception {
        System.out.printf("# StoreBench: %d entries, %d repeats, java %s, %d cores%n%n", entries, repeats,
                Runtime.version(), Runtime.getRuntime().availableProcessors());
        Path full = workDir.resolve("restart-full");
        Path empty = workDir.resolve("restart-empty");
        fillForRestart(full);
        DiskStore.open(empty, DISK_BUDGET_BYTES).close();
        measureOpen(full, empty);
        if (jar != null) {
            measureMirrorStart(full, empty);
        }
        measureDiskBytes();
        if (redisPort != null) {
            measureRedisBytes();
        }
    }

    // ---------------------------------------------------------------- restart

    private void fillForRestart(Path dir) {
        long started = System.nanoTime();
        try (DiskStore store = DiskStore.open(dir, DISK_BUDGET_BYTES)) {
            byte[] body = jsonBody(1024);
            for (int i = 0; i < entries; i++) {
                store.put(key(i), entry(i, body));
            }
            double seconds = seconds(started);
            System.out.printf("Filled %s with %d entries of a 1 KB body in %.1f s (%.0f puts/s), %.1f MiB of entries%n%n",
                    store.databaseFile(), store.entryCount(), seconds, entries / seconds,
                    store.sizeBytes() / 1048576.0);
        }
    }

    /** Times DiskStore.open plus the first get, alternating the full and the empty store. */
    private void measureOpen(Path full, Path empty) {
        List<Double> fullTimes = new ArrayList<>();
        List<Double> emptyTimes = new ArrayList<>();
        CacheKey present = key(entries / 2);
        for (int i = 0; i < repeats; i++) {
            fullTimes.add(openAndGet(full, present, true));
            emptyTimes.add(openAndGet(empty, present, false));
        }
        System.out.println("## DiskStore.open + first get\n");
        System.out.println("| store | median ms | min ms | max ms | runs |");
        System.out.println("| --- | ---: | ---: | ---: | ---: |");
        printTimes(entries + " entries", fullTimes);
        printTimes("empty (reference)", emptyTimes);
        System.out.printf("%nRatio of medians, full / empty: %.2f%n%n", median(fullTimes) / median(emptyTimes));
    }

    private static double openAndGet(Path dir, CacheKey key, boolean expectHit) {
        long started = System.nanoTime();
        try (DiskStore store = DiskStore.open(dir, DISK_BUDGET_BYTES)) {
            boolean hit = store.get(key).isPresent();
            double millis = seconds(started) * 1000;
            if (hit != expectHit) {
                throw new IllegalStateException("first get in " + dir + " returned " + (hit ? "a hit" : "a miss")
                        + " but expected " + (expectHit ? "a hit" : "a miss"));
            }
            return millis;
        }
    }

    /** Times a mirror process from start to its first 200 on /healthz, with the bare JVM as reference. */
    private void measureMirrorStart(Path full, Path empty) throws Exception {
        List<Double> fullTimes = new ArrayList<>();
        List<Double> emptyTimes = new ArrayList<>();
        List<Double> versionTimes = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            fullTimes.add(startMirror(full));
            emptyTimes.add(startMirror(empty));
            versionTimes.add(runVersion());
        }
        System.out.println("## Mirror process start to first 200 on /healthz (--cache-type=disk)\n");
        System.out.println("| cache directory | median ms | min ms | max ms | runs |");
        System.out.println("| --- | ---: | ---: | ---: | ---: |");
        printTimes(entries + " entries", fullTimes);
        printTimes("empty (reference)", emptyTimes);
        printTimes("`java -jar ... --version` (JVM floor)", versionTimes);
        System.out.printf("%nRatio of medians, %d entries / empty: %.2f%n%n", entries,
                median(fullTimes) / median(emptyTimes));
    }

    private double startMirror(Path cacheDir) throws Exception {
        int port = freePort();
        Path log = workDir.resolve("mirror-start.log");
        ProcessBuilder builder = new ProcessBuilder(javaCommand(), "-jar", jar.toString(),
                "--bind-address=127.0.0.1", "--port=" + port,
                // Nothing listens on the discard port: the mirror sends no upstream request here.
                "--github-api-url=http://127.0.0.1:9", "--github-status-url=",
                "--cache-type=disk", "--cache-dir=" + cacheDir, "--cache-max-bytes=8GiB",
                "--shutdown-grace-period=1s")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("REQUEST_LOG_LEVEL", "WARN");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                .timeout(Duration.ofSeconds(1)).build();
        long started = System.nanoTime();
        Process process = builder.start();
        try {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the mirror exited with status " + process.exitValue()
                            + " before /healthz responded; see " + log);
                }
                if (System.nanoTime() - started > MIRROR_START_LIMIT.toNanos()) {
                    throw new IllegalStateException("the mirror did not respond to /healthz within "
                            + MIRROR_START_LIMIT.toSeconds() + " s; see " + log);
                }
                try {
                    if (client.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return seconds(started) * 1000;
                    }
                } catch (IOException notListeningYet) {
                    // The port is not open yet.
                }
                Thread.sleep(10);
            }
        } finally {
            stop(process);
            client.close();
        }
    }

    private double runVersion() throws Exception {
        long started = System.nanoTime();
        Process process = new ProcessBuilder(javaCommand(), "-jar", jar.toString(), "--version")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            stop(process);
            throw new IllegalStateException("java -jar " + jar + " --version did not exit within 60 s");
        }
        return seconds(started) * 1000;
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    // ---------------------------------------------------------------- bytes per entry

    private void measureDiskBytes() throws IOException {
        System.out.printf("## Disk bytes per cached response (%d entries per size, file size after close)%n%n",
                SIZE_ENTRIES);
        System.out.println("| body bytes | encoded entry bytes | cache.db bytes per entry | per entry / body |");
        System.out.println("| ---: | ---: | ---: | ---: |");
        for (int size : BODY_SIZES) {
            Path dir = workDir.resolve("size-" + size);
            byte[] body = jsonBody(size);
            int encoded = EntryCodec.encode(entry(0, body)).length;
            try (DiskStore store = DiskStore.open(dir, DISK_BUDGET_BYTES)) {
                for (int i = 0; i < SIZE_ENTRIES; i++) {
                    store.put(key(i), entry(i, body));
                }
            }
            // Closing checkpoints the WAL into cache.db; any file left next to it still counts.
            long bytes = directorySize(dir);
            double perEntry = (double) bytes / SIZE_ENTRIES;
            System.out.printf("| %d | %d | %.0f | %.2f |%n", size, encoded, perEntry, perEntry / size);
        }
        System.out.println();
    }

    private void measureRedisBytes() {
        String prefix = "storebench:";
        RedisStoreOptions options = RedisStoreOptions.defaults()
                .withHost("127.0.0.1")
                .withPort(redisPort)
                .withKeyPrefix(prefix)
                .withCommandTimeout(Duration.ofSeconds(5));
        RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", redisPort));
        try (RedisStore store = new RedisStore(options);
                StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            RedisCommands<byte[], byte[]> redis = connection.sync();
            System.out.printf("## Redis bytes per cached response (%d entries per size, redis-server %s)%n%n",
                    SIZE_ENTRIES, infoField(redis.info("server"), "redis_version"));
            System.out.println("| body bytes | encoded entry bytes | MEMORY USAGE per key (mean of " + REDIS_SAMPLED_KEYS
                    + ") | used_memory growth per entry | MEMORY USAGE / body |");
            System.out.println("| ---: | ---: | ---: | ---: | ---: |");
            for (int size : BODY_SIZES) {
                store.removeTargetPrefix("");
                long before = Long.parseLong(infoField(redis.info("memory"), "used_memory"));
                byte[] body = jsonBody(size);
                int encoded = EntryCodec.encode(entry(0, body)).length;
                for (int i = 0; i < SIZE_ENTRIES; i++) {
                    store.put(key(i), entry(i, body));
                }
                long after = Long.parseLong(infoField(redis.info("memory"), "used_memory"));
                long sampled = 0;
                for (int i = 0; i < REDIS_SAMPLED_KEYS; i++) {
                    CacheKey key = key(i * (SIZE_ENTRIES / REDIS_SAMPLED_KEYS));
                    Long usage = redis.memoryUsage(redisKey(prefix, key));
                    if (usage == null) {
                        throw new IllegalStateException("no Redis key for target " + key.target()
                                + "; the key layout of RedisStore changed");
                    }
                    sampled += usage;
                }
                double perKey = (double) sampled / REDIS_SAMPLED_KEYS;
                System.out.printf("| %d | %d | %.0f | %.0f | %.2f |%n", size, encoded, perKey,
                        (double) (after - before) / SIZE_ENTRIES, perKey / size);
            }
            store.removeTargetPrefix("");
            // The key secret is not an entry, so the purge above leaves it.
            redis.del((prefix + "key-secret").getBytes(StandardCharsets.UTF_8));
            System.out.println();
        } finally {
            client.shutdown();
        }
    }

    /** Returns the Redis key that RedisStore uses: prefix, "e:", SHA-256 hex of the target, ":", variant. */
    private static byte[] redisKey(String prefix, CacheKey key) {
        try {
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.target().getBytes(StandardCharsets.UTF_8)));
            return (prefix + "e:" + hash + ":" + key.variant()).getBytes(StandardCharsets.UTF_8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    private static String infoField(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new IllegalStateException("INFO has no field " + name);
    }

    // ---------------------------------------------------------------- entries

    /** Returns a key shaped like the mirror's: a repository path and a 64-hex-digit HMAC variant. */
    private static CacheKey key(int index) {
        String target = "/repos/bench/repo-" + index;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("variant " + index).getBytes(StandardCharsets.UTF_8));
            return new CacheKey(target, HexFormat.of().formatHex(digest));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /**
     * Returns an entry whose 18 headers imitate a GitHub REST response: the usual names with
     * typical values, written by hand rather than recorded, so real entries may differ in size.
     */
    private static Entry entry(int index, byte[] body) {
        String etag = "\"" + "0123456789abcdef".repeat(4).substring(0, 56) + Integer.toHexString(index) + "\"";
        List<Header> headers = List.of(
                new Header("Content-Type", "application/json; charset=utf-8"),
                new Header("Cache-Control", "private, max-age=60, s-maxage=60"),
                new Header("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP,Accept-Encoding, Accept, X-Requested-With"),
                new Header("ETag", etag),
                new Header("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
                new Header("X-OAuth-Scopes", "repo, read:org"),
                new Header("X-Accepted-OAuth-Scopes", "repo"),
                new Header("github-authentication-token-expiration", "2027-01-01 00:00:00 UTC"),
                new Header("X-GitHub-Media-Type", "github.v3; format=json"),
                new Header("x-github-api-version-selected", "2022-11-28"),
                new Header("X-RateLimit-Limit", "5000"),
                new Header("X-RateLimit-Remaining", "4987"),
                new Header("X-RateLimit-Reset", "1796032800"),
                new Header("X-RateLimit-Used", "13"),
                new Header("X-RateLimit-Resource", "core"),
                new Header("Access-Control-Expose-Headers", "ETag, Link, Location, Retry-After, X-GitHub-OTP, "
                        + "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, "
                        + "X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, "
                        + "X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset"),
                new Header("Strict-Transport-Security", "max-age=31536000; includeSubdomains; preload"),
                new Header("X-GitHub-Request-Id", "C0DE:1234:5678AB:9ABCDE:6750A1B2"));
        return new Entry("/repos/bench/repo-" + index, 200, headers, body, etag,
                "Tue, 01 Dec 2026 10:00:00 GMT", 1_796_000_000_000L + index);
    }

    /**
     * Returns a JSON body of exactly {@code size} bytes whose content is base64 of random bytes,
     * which neither store compresses, so the figures are not flattered by repetitive filler.
     */
    private byte[] jsonBody(int size) {
        String head = "{\"name\":\"repo\",\"url\":\"https://api.github.com/repos/bench/repo\",\"content\":\"";
        String tail = "\"}";
        int contentLength = size - head.length() - tail.length();
        byte[] raw = new byte[contentLength];
        random.nextBytes(raw);
        String content = Base64.getEncoder().encodeToString(raw).substring(0, contentLength);
        byte[] body = (head + content + tail).getBytes(StandardCharsets.UTF_8);
        if (body.length != size) {
            throw new IllegalStateException("body is " + body.length + " bytes, expected " + size);
        }
        return body;
    }

    // ---------------------------------------------------------------- statistics

    private static void printTimes(String label, List<Double> millis) {
        System.out.printf("| %s | %.0f | %.0f | %.0f | %d |%n", label, median(millis),
                millis.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                millis.stream().mapToDouble(Double::doubleValue).max().orElse(0), millis.size());
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    private static long directorySize(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.getFileName().toString().startsWith(DiskStore.DATABASE_FILE_NAME))
                    .mapToLong(file -> {
                        try {
                            return Files.size(file);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .sum();
        }
    }
}
