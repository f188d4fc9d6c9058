package io.ghmirror.fake;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Fake of the GitHub REST API (api.github.com, or GitHub Enterprise Server under a path prefix) on a real HTTP/1.1
 * socket at 127.0.0.1, for tests of the mirror.
 *
 * <p>Every GET and HEAD of a resource gets GitHub's caching headers: an ETag derived from the {@code Accept},
 * {@code Authorization} and {@code Cookie} values and the body, {@code Last-Modified}, {@code Cache-Control},
 * {@code Vary} and {@code X-GitHub-Media-Type}. Like GitHub, {@code Cache-Control} is {@code private} for requests
 * with an {@code Authorization} header and for private resources, and {@code public} otherwise.
 * {@code If-None-Match} and {@code If-Modified-Since} produce a 304 without a body. Bodies are gzip-compressed for
 * requests that accept gzip.
 *
 * <p>Rate limiting keeps one bucket per exact {@code Authorization} value, with anonymous callers sharing one.
 * Each response spends one unit, except a 304, {@code GET /rate_limit}, an injected fault, the offline 503, the
 * 401 of {@link #setRejectUnknownTokens}, a request outside the API prefix and the rate-limit 403 itself.
 * NOTE: an exhausted bucket gets the 403 even for a conditional request that would otherwise be a 304. Whether
 * GitHub does the same is not documented.
 *
 * <p>Write requests (POST, PUT, PATCH, DELETE) to any path are recorded, and the response is a JSON echo of the
 * method, path, body and {@code Content-Type}: 201, or 200 for {@code POST /graphql}. Unknown paths get GitHub's
 * 404 JSON.
 *
 * <p>Paths passed to this class are relative to the API root and not URL-encoded, such as {@code /repos/o/r}. All
 * methods are thread-safe.
 */
public final class FakeGitHub implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";

    private final Server server;
    private final String pathPrefix;
    private final int port;
    private final String baseUrl;
    private final ResourceStore resources = new ResourceStore();
    private final RateLimits rateLimits = new RateLimits();
    private final RequestLog requestLog = new RequestLog();
    private final List<InjectedFault> faults = new CopyOnWriteArrayList<>();
    private final AtomicInteger faultsFired = new AtomicInteger();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final GitHubData data;
    private volatile boolean offline;
    private volatile boolean chunked;
    private volatile boolean rejectUnknownTokens;

    private FakeGitHub(String pathPrefix) throws Exception {
        this.pathPrefix = pathPrefix;
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("fake-github");
        threads.setDaemon(true);
        server = new Server(threads);

        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendXPoweredBy(false);
        // The handler sends its own Date header on every response, 304 included.
        config.setSendDateHeader(false);
        // Record targets such as %2F in a path instead of rejecting them with 400, like a lenient upstream.
        config.setUriCompliance(UriCompliance.UNSAFE);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(config));
        connector.setHost(LOOPBACK);
        connector.setPort(0);
        server.addConnector(connector);
        // Opening the connector before start() binds the port, so every URL can be built before requests arrive.
        connector.open();
        port = connector.getLocalPort();

        String serverRoot = "http://" + LOOPBACK + ":" + port;
        baseUrl = serverRoot + pathPrefix;
        Documents documents = pathPrefix.isEmpty()
                ? new Documents(baseUrl, "https://github.com", "https://avatars.githubusercontent.com")
                : new Documents(baseUrl, serverRoot, serverRoot + "/avatars");
        data = new GitHubData(documents, resources);
        resources.put("/", Resource.publicJson(documents.root(), null));

        server.setHandler(new ApiHandler(this));
        server.start();
    }

    /** Starts a fake of api.github.com, with the API at the server root. */
    public static FakeGitHub start() {
        return start("");
    }

    /**
     * Starts a fake whose API lives under {@code pathPrefix}, such as {@code /api/v3} for GitHub Enterprise Server.
     * Requests outside the prefix get 404. An empty prefix puts the API at the root.
     *
     * @throws IllegalArgumentException if the prefix does not start with {@code /}
     * @throws IllegalStateException if the server cannot bind a port on 127.0.0.1
     */
    public static FakeGitHub start(String pathPrefix) {
        String prefix = pathPrefix == null ? "" : pathPrefix.replaceAll("/+$", "");
        if (!prefix.isEmpty() && !prefix.startsWith("/")) {
            throw new IllegalArgumentException("pathPrefix must be empty or start with '/', got " + pathPrefix);
        }
        try {
            return new FakeGitHub(prefix);
        } catch (Exception e) {
            throw new IllegalStateException("Failed to start the fake GitHub server on " + LOOPBACK, e);
        }
    }

    /** Returns the API base URL without a trailing slash, such as {@code http://127.0.0.1:PORT/api/v3}. */
    public String baseUrl() {
        return baseUrl;
    }

    /** Returns the URI of {@code pathAndQuery}, such as {@code /repos/o/r?page=2}, under {@link #baseUrl()}. */
    public URI uri(String pathAndQuery) {
        return URI.create(baseUrl + pathAndQuery);
    }

    /** Returns the local port the server listens on. */
    public int port() {
        return port;
    }

    /** Stops the server. Delays in progress end at once, and their connections are closed without a response. */
    @Override
    public void close() {
        closing.countDown();
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("Failed to stop the fake GitHub server on port " + port, e);
        }
    }

    // ---- Resources ----------------------------------------------------------------------------------------------

    /**
     * Publishes a public JSON resource at {@code path}. A path with a query, such as {@code /search?q=x}, matches
     * only that exact raw query, and a path without one matches any query. Replacing the body changes the ETag and
     * moves {@code Last-Modified} forward, and putting the same body again changes nothing.
     */
    public void putJson(String path, String json) {
        resources.put(requirePath(path), Resource.publicJson(json, null));
    }

    /** Publishes a public resource with an arbitrary body and {@code Content-Type}, matched like {@link #putJson}. */
    public void putRaw(String path, byte[] body, String contentType) {
        Resource.Representation representation = new Resource.Representation(body.clone(), contentType,
                "github.v3");
        resources.put(requirePath(path), new Resource(representation, null, null, Set.of()));
    }

    /**
     * Publishes a JSON resource that only the given credentials may read. Each entry is an {@code Authorization}
     * value such as {@code token abc} or a bare token, and {@code token T} and {@code Bearer T} both grant access
     * for token T. Other callers, anonymous ones included, get GitHub's 404.
     */
    public void putPrivate(String path, String json, String... allowedAuthorizations) {
        if (allowedAuthorizations.length == 0) {
            throw new IllegalArgumentException("a private resource needs at least one allowed authorization");
        }
        resources.put(requirePath(path), new Resource(Resource.Representation.json(json), null, null,
                readerTokens(allowedAuthorizations)));
    }

    /**
     * Sets the {@code Last-Modified} time of a resource stored at {@code path}, truncated to seconds.
     *
     * @throws IllegalArgumentException if nothing is stored at the path. Issue list pages take their time from the
     *     issues on them and cannot be set.
     */
    public void setLastModified(String path, Instant lastModified) {
        if (!resources.setLastModified(requirePath(path), lastModified)) {
            throw new IllegalArgumentException("no resource is stored at " + path);
        }
    }

    /** Removes the resource at {@code path}, so that it returns 404, and returns whether one was stored. */
    public boolean remove(String path) {
        return resources.remove(requirePath(path));
    }

    /**
     * Registers {@code token} as a credential of user {@code login} and returns the user's id. {@code GET /user}
     * with {@code Authorization: token T} or {@code Bearer T} returns that user, and {@code GET /users/{login}} is
     * published too.
     */
    public long addUser(String token, String login) {
        return data.addUser(token, login);
    }

    /**
     * Creates a public repository from {@code owner/name} and publishes {@code GET /repos/{owner}/{name}}.
     *
     * @throws IllegalStateException if the repository already exists
     */
    public void addRepository(String fullName) {
        data.addRepository(fullName, Set.of());
    }

    /**
     * Creates a private repository that only the given credentials may read, matched like {@link #putPrivate}. Its
     * issues and contents are private too.
     */
    public void addPrivateRepository(String fullName, String... allowedAuthorizations) {
        Set<String> readers = readerTokens(allowedAuthorizations);
        if (readers.isEmpty()) {
            throw new IllegalArgumentException("a private repository needs at least one allowed authorization");
        }
        data.addRepository(fullName, readers);
    }

    /**
     * Publishes a file at {@code GET /repos/{owner}/{name}/contents/{path}}: the JSON description with base64
     * content by default, and the raw bytes as {@code application/vnd.github.raw} for {@code Accept:
     * application/vnd.github.raw} or {@code application/vnd.github.v3.raw}. The JSON's {@code download_url} points
     * at the fake. The repository is created as public if it does not exist.
     */
    public void putContent(String fullName, String path, byte[] content) {
        data.putContent(fullName, path, content);
    }

    /** Publishes a UTF-8 text file, as {@link #putContent(String, String, byte[])} does. */
    public void putContent(String fullName, String path, String content) {
        putContent(fullName, path, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Appends {@code count} issues to {@code GET /repos/{owner}/{name}/issues}, creating the repository as public
     * if needed. The list honours {@code per_page} (default 30, max 100), {@code page} and {@code direction}, sends
     * GitHub's {@code Link} header, and lists oldest first unless {@code direction=desc} is sent.
     */
    public void addIssues(String fullName, int count) {
        data.addIssues(fullName, count);
    }

    /** Appends one issue with the given title and returns its number. */
    public int addIssue(String fullName, String title) {
        return data.addIssue(fullName, title);
    }

    /** Changes the title and {@code updated_at} of an existing issue. */
    public void updateIssue(String fullName, int number, String title) {
        data.updateIssue(fullName, number, title);
    }

    // ---- Rate limits --------------------------------------------------------------------------------------------

    /**
     * Sets the limit of a credential's bucket. The defaults are 5000 for a token and 60 for anonymous callers.
     *
     * @param authorization exact {@code Authorization} value, or null for anonymous callers
     */
    public void setRateLimit(String authorization, int limit) {
        rateLimits.setLimit(authorization, limit);
    }

    /** Sets the units left in a credential's bucket, raising its limit if needed. Zero makes the next request 403. */
    public void setRemaining(String authorization, int remaining) {
        rateLimits.setRemaining(authorization, remaining);
    }

    /** Sets when a credential's window resets. A time in the past refills the bucket on its next use. */
    public void setRateLimitReset(String authorization, Instant reset) {
        rateLimits.setReset(authorization, reset);
    }

    /** Returns the units left in a credential's bucket, as the next response would send it. */
    public int remaining(String authorization) {
        return rateLimits.snapshot(authorization).remaining();
    }

    /** Returns the units a credential spent since the fake started, counted across window resets. */
    public int unitsSpent(String authorization) {
        return rateLimits.unitsSpent(authorization);
    }

    /** Returns the units all callers spent since the fake started. */
    public int totalUnitsSpent() {
        return rateLimits.totalUnitsSpent();
    }

    // ---- Recorded requests --------------------------------------------------------------------------------------

    /** Returns the requests received since the start or the last {@link #clearRequests()}, oldest first. */
    public List<RecordedRequest> requests() {
        return requestLog.snapshot();
    }

    /** Returns the number of requests that {@link #requests()} would return. */
    public int requestCount() {
        return requestLog.size();
    }

    /** Forgets the recorded requests. Rate-limit counters are not affected. */
    public void clearRequests() {
        requestLog.clear();
    }

    /**
     * Waits until at least {@code count} requests have been recorded since the last {@link #clearRequests()} and
     * returns true, or returns false when the timeout passes first. A request is recorded as soon as its body has
     * been read, before any delay or response.
     */
    public boolean awaitRequests(int count, Duration timeout) throws InterruptedException {
        return requestLog.await(count, timeout);
    }

    // ---- Faults -------------------------------------------------------------------------------------------------

    /**
     * Arms a fault. Faults are checked in the order injected, and the first one that still applies to a request's
     * path hits it.
     */
    public InjectedFault inject(Fault fault) {
        InjectedFault injected = new InjectedFault(fault);
        faults.add(injected);
        return injected;
    }

    /** Makes the next request get {@code status} with {@code body} and the extra {@code headers}. */
    public InjectedFault failNext(int status, String body, Map<String, String> headers) {
        return inject(Fault.status(status, body, headers));
    }

    /** Makes the next request get its normal response only after {@code delay}, or none if the fake closes first. */
    public InjectedFault delayNext(Duration delay) {
        return inject(Fault.delay(delay));
    }

    /** Makes the fake close the next request's connection without a response. */
    public InjectedFault dropNext() {
        return inject(Fault.drop());
    }

    /** Cancels every armed fault. */
    public void clearFaults() {
        faults.forEach(InjectedFault::cancel);
        faults.clear();
    }

    /** Returns how many requests injected faults hit since the fake started. */
    public int faultsFired() {
        return faultsFired.get();
    }

    /** Switches offline mode, in which every request gets 503 until it is switched off. */
    public void setOffline(boolean offline) {
        this.offline = offline;
    }

    /** Switches between {@code Content-Length} bodies (the default) and chunked transfer coding. */
    public void setChunkedResponses(boolean chunked) {
        this.chunked = chunked;
    }

    /**
     * Switches whether a request whose token was not registered with {@link #addUser} gets 401 Bad credentials on
     * every path, as on GitHub. It is off by default, so tests can use arbitrary tokens without registering them.
     */
    public void setRejectUnknownTokens(boolean reject) {
        this.rejectUnknownTokens = reject;
    }

    // ---- Package-private access for the handler -----------------------------------------------------------------

    ResourceStore resources() {
        return resources;
    }

    RateLimits rateLimits() {
        return rateLimits;
    }

    RequestLog requestLog() {
        return requestLog;
    }

    GitHubData data() {
        return data;
    }

    boolean isOffline() {
        return offline;
    }

    boolean isChunked() {
        return chunked;
    }

    boolean rejectsUnknownTokens() {
        return rejectUnknownTokens;
    }

    /** Returns the path relative to the API root, or null when the decoded path lies outside the prefix. */
    String apiPathOf(String decodedPath) {
        if (pathPrefix.isEmpty()) {
            return decodedPath.isEmpty() ? "/" : decodedPath;
        }
        if (decodedPath.equals(pathPrefix) || decodedPath.equals(pathPrefix + "/")) {
            return "/";
        }
        if (decodedPath.startsWith(pathPrefix + "/")) {
            return decodedPath.substring(pathPrefix.length());
        }
        return null;
    }

    /** Claims the first armed fault that applies to the path, or returns null. */
    InjectedFault claimFault(String apiPath) {
        for (InjectedFault fault : faults) {
            if (fault.tryClaim(apiPath)) {
                faultsFired.incrementAndGet();
                faults.removeIf(InjectedFault::isDone);
                return fault;
            }
        }
        return null;
    }

    /** Waits for {@code delay} and returns true, or returns false at once when the fake is closing. */
    boolean pause(Duration delay) {
        try {
            return !closing.await(delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String requirePath(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/', got " + path);
        }
        return path;
    }

    private static Set<String> readerTokens(String... allowedAuthorizations) {
        return Arrays.stream(allowedAuthorizations).map(Credentials::tokenOf).collect(Collectors.toSet());
    }
}
