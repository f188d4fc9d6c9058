package io.ghmirror.mirror;

import io.ghmirror.cache.CacheKey;
import io.ghmirror.cache.Entry;
import io.ghmirror.cache.TieredCache;
import io.ghmirror.config.Settings;
import io.ghmirror.http.HeaderFields;
import io.ghmirror.metrics.MirrorMetrics;
import io.ghmirror.upstream.UpstreamClient;
import io.ghmirror.upstream.UpstreamException;
import io.ghmirror.upstream.UpstreamRequest;
import io.ghmirror.upstream.UpstreamResponse;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path of the mirror, top to bottom: check the target, check access, build the cache
 * key, decide, call upstream (once per key in flight), update the store, respond, log.
 *
 * <p>Every GET with a stored entry is revalidated with a conditional request, because a 304 costs
 * no GitHub rate limit while serving an unchecked copy could serve a wrong body. The exceptions are
 * the ones where asking GitHub cannot help: GitHub known to be down, or the credential known to be
 * out of quota until its reset.
 */
public final class MirrorPipeline {

    private static final Logger requestLog = LoggerFactory.getLogger("io.ghmirror.requests");
    private static final Logger log = LoggerFactory.getLogger(MirrorPipeline.class);

    /** Query parameters that carry credentials; requests with them bypass the cache and are redacted in logs. */
    private static final java.util.regex.Pattern SECRET_QUERY =
            java.util.regex.Pattern.compile("(?i)(^|&)(access_token|client_secret)=[^&]*");

    private final Settings settings;
    private final UpstreamClient upstream;
    private final TieredCache cache;
    private final CacheKeyGenerator keys;
    private final UrlRewriter rewriter;
    private final MirrorMetrics metrics;
    private final Clock clock;
    private final Coalescer<Exchange> coalescer = new Coalescer<>();
    private final Semaphore upstreamSlots;
    private final UpstreamHealth health;
    private final RateLimitTracker rateLimits;
    private final AccessGate access;
    /** Rewritten bodies by stored body (identity, weakly held) and public URL; bounded by bytes. */
    private final Cache<byte[], Map<String, byte[]>> rewrittenBodies;

    /** Distinct public URLs remembered per body; more come only from unusual Host headers. */
    private static final int MAX_PUBLIC_URLS_PER_BODY = 4;

    public MirrorPipeline(
            Settings settings,
            UpstreamClient upstream,
            TieredCache cache,
            CacheKeyGenerator keys,
            MirrorMetrics metrics,
            UpstreamHealth health,
            AccessGate access,
            Clock clock) {
        this.settings = settings;
        this.upstream = upstream;
        this.cache = cache;
        this.keys = keys;
        this.rewriter = new UrlRewriter(settings.upstream().toString());
        this.metrics = metrics;
        this.clock = clock;
        this.upstreamSlots = new Semaphore(settings.resilience().upstreamMaxConcurrency(), true);
        this.health = health;
        this.rateLimits = new RateLimitTracker(clock);
        this.access = access;
        this.rewrittenBodies = Caffeine.newBuilder()
                .weakKeys()
                .maximumWeight(Math.max(1, Math.min(64L << 20, settings.cacheMemoryMaxBytes() / 4)))
                .weigher((byte[] body, Map<String, byte[]> byBase) -> byBase.values().stream()
                        .mapToInt(bytes -> bytes.length).sum())
                .executor(Runnable::run)
                .build();
    }

    /** The outcome, status and tier of a sent response, for the log line and the metrics. */
    private record Answer(Outcome outcome, int status, String tier) {}

    /**
     * Handles one proxied request and writes its response to the sink.
     *
     * @throws IOException when writing to the client fails; the upstream exchange is finished by then
     */
    public void handle(ClientRequest request, ResponseSink sink) throws IOException {
        long started = System.nanoTime();
        Answer answer = null;
        try {
            String problem = RequestTargets.problem(request.rawPath(), request.rawQuery());
            if (problem != null) {
                answer = sendError(sink, 400, problem, Outcome.MISS);
                return;
            }

            AccessGate.Decision decision = access.check(request);
            if (!decision.allowed()) {
                answer = sendError(sink, decision.status(), decision.message(), Outcome.MISS);
                return;
            }

            if (!request.isRead()) {
                answer = passThrough(request, sink, Outcome.MISS);
            } else if (bypassesCache(request)) {
                answer = passThrough(request, sink, Outcome.BYPASS);
            } else {
                answer = read(request, sink);
            }
        } finally {
            double seconds = (System.nanoTime() - started) / 1e9;
            if (answer == null) {
                // Writing the response failed, almost always because the client went away: logged
                // with nginx's 499 ("client closed request") so it is not mistaken for a mirror error.
                answer = new Answer(Outcome.MISS, 499, null);
            }
            answer = new Answer(answer.outcome(), sink.statusSent(answer.status()), answer.tier());
            metrics.observeRequest(answer.outcome().name(), request.method(), answer.status(), seconds);
            requestLog.info("[{}] {} {} {} {}ms{}", request.method(), answer.outcome().logName(),
                    logUrl(request), answer.status(), Math.round(seconds * 1000),
                    answer.tier() == null ? "" : " tier=" + answer.tier());
        }
    }

    /** A response captured in memory, for the mirror's own lookups. */
    public record InternalResponse(int status, HeaderFields headers, byte[] body) {}

    /**
     * Sends a GET through the cache on behalf of the mirror itself, such as the allowlist reading
     * {@code /user} with the caller's token. Like any GET it is revalidated, so a repeated lookup
     * costs no rate limit; it skips the access check, which is what calls it.
     *
     * @param target the raw path and query
     * @param headers request headers, normally just the caller's {@code Authorization}
     */
    public InternalResponse internalGet(String target, HeaderFields headers) throws IOException {
        int query = target.indexOf('?');
        ClientRequest request = new ClientRequest("GET",
                query < 0 ? target : target.substring(0, query),
                query < 0 ? null : target.substring(query + 1),
                headers, InputStream.nullInputStream(), 0, "internal", upstream.base().toString());
        CapturingSink sink = new CapturingSink();
        long started = System.nanoTime();
        Answer answer = read(request, sink);
        requestLog.info("[GET] {} {} {} {}ms internal", answer.outcome().logName(), logUrl(request), answer.status(),
                Math.round((System.nanoTime() - started) / 1e6));
        return new InternalResponse(sink.status, sink.headers, sink.body);
    }

    /** Holds a response in memory instead of writing it to a client. */
    private static final class CapturingSink implements ResponseSink {
        int status;
        HeaderFields headers = new HeaderFields();
        byte[] body = new byte[0];

        @Override
        public void send(int status, HeaderFields headers, byte[] body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }

        @Override
        public void stream(int status, HeaderFields headers, InputStream body) throws IOException {
            this.status = status;
            this.headers = headers;
            this.body = body.readAllBytes();
        }
    }

    /**
     * Requests whose response GitHub varies on a header the cache key does not cover (Cookie,
     * X-GitHub-OTP), or that carry a credential in the query, are never cached.
     */
    private static boolean bypassesCache(ClientRequest request) {
        return request.headers().contains("Cookie")
                || request.headers().contains("X-GitHub-OTP")
                || (request.rawQuery() != null && SECRET_QUERY.matcher(request.rawQuery()).find());
    }

    // ---------------------------------------------------------------- GET and HEAD

    private Answer read(ClientRequest request, ResponseSink sink) throws IOException {
        CacheKey key = keys.keyFor(request.target(), request.headers());
        String credential = keys.credentialHash(request.headers().first("Authorization").orElse(null));
        var lookup = cache.get(key);
        Entry stored = lookup.map(TieredCache.Lookup::entry).orElse(null);
        String tier = lookup.map(TieredCache.Lookup::tier).orElse(null);

        // GitHub is known to be down: asking it would only wait for a failure.
        if (health.isOffline()) {
            if (stored != null && staleAllowed(stored)) {
                metrics.countUnit(false, access.userLabel(request));
                return serveEntry(request, sink, stored, Outcome.OFFLINE_HIT, tier);
            }
            return sendOffline(sink);
        }

        // The credential is out of quota until its reset: GitHub would return 403 anyway.
        if (stored != null && rateLimits.exhausted(credential, request.rawPath()) && staleAllowed(stored)) {
            metrics.countUnit(false, access.userLabel(request));
            Entry limited = EntryUpdater.freshen(stored,
                    rateLimits.quotaHeaders(credential, request.rawPath()), stored.storedAtMillis());
            return serveEntry(request, sink, limited, Outcome.STALE_RATE_LIMITED, tier);
        }

        String exchangeKey = request.method() + " " + key.asString()
                + (stored == null ? " " + request.headers().all("If-None-Match") + request.headers().all("If-Modified-Since") : "");
        Exchange exchange;
        boolean follower;
        try {
            var shared = coalescer.execute(exchangeKey, settings.upstreamTimeout().plusSeconds(1),
                    () -> exchange(request, key, credential, stored, tier, sharedBody(request, stored)));
            exchange = shared.value();
            follower = shared.follower();
        } catch (TimeoutException e) {
            // The leader is still receiving its response, so respond as a timed-out revalidation would.
            if (stored != null && staleAllowed(stored)) {
                metrics.countUnit(false, access.userLabel(request));
                return serveEntry(request, sink, stored, Outcome.STALE_TIMEOUT, tier);
            }
            return sendError(sink, 504, "Timed out waiting for an identical request to " + upstream.base()
                    + " that was already in flight.", Outcome.COALESCED);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for an identical request", e);
        }

        if (exchange instanceof Exchange.Streamed streamed) {
            if (follower) {
                // A streamed body can be read once, by the leader; this client fetches its own copy.
                exchange = exchange(request, key, credential, stored, tier, null);
                follower = false;
                if (exchange instanceof Exchange.Streamed own) {
                    return writeStreamed(request, sink, own);
                }
            } else {
                return writeStreamed(request, sink, streamed);
            }
        }
        if (exchange instanceof Exchange.Failed failed) {
            if (failed.status() == 503) {
                return sendOffline(sink);
            }
            return sendError(sink, failed.status(), failed.message(), follower ? Outcome.COALESCED : Outcome.MISS);
        }
        Exchange.Buffered buffered = (Exchange.Buffered) exchange;
        Outcome outcome = follower ? Outcome.COALESCED : buffered.outcome();
        if (follower) {
            metrics.countUnit(false, access.userLabel(request));
        }
        if (buffered.entry() != null) {
            return serveEntry(request, sink, buffered.entry(), outcome, buffered.tier());
        }
        return sendBuffered(request, sink, buffered.status(), buffered.headers(), buffered.body(), outcome);
    }

    /** The result of one upstream exchange for a read, shareable with coalesced followers unless streamed. */
    private sealed interface Exchange {
        /** A response held in memory; {@code entry} is set when the body is an entry to serve. */
        record Buffered(int status, HeaderFields headers, byte[] body, Entry entry, Outcome outcome, String tier)
                implements Exchange {}

        /** A response too large to hold, streamed to the leader's client only. */
        record Streamed(int status, HeaderFields headers, InputStream body, UpstreamResponse response)
                implements Exchange {}

        /** No upstream response and nothing stored: the client receives a mirror error. */
        record Failed(int status, String message) implements Exchange {}
    }

    /**
     * Revalidates or fetches the resource upstream and updates the cache. Runs once per key in
     * flight; its result may be handed to other clients, so it never touches a sink.
     */
    private Exchange exchange(ClientRequest request, CacheKey key, String credential, Entry stored, String tier,
            Entry sharedBody) {
        boolean unconditional = false;
        String derivedEtag = null;
        while (true) {
            HeaderFields headers = forwardedHeaders(request);
            if (stored == null && sharedBody != null && !unconditional) {
                // Another credential stored this body: ask GitHub whether this credential would get it too.
                derivedEtag = EtagDerivation.derive(request.headers(), sharedBody.body());
                headers.set("If-None-Match", derivedEtag);
            }
            if (stored != null) {
                // Our validators replace the client's, because the client's own are checked against the entry later.
                headers.remove("If-None-Match").remove("If-Modified-Since");
                if (!unconditional) {
                    if (stored.etag() != null) {
                        headers.set("If-None-Match", stored.etag());
                    } else {
                        headers.set("If-Modified-Since", stored.lastModified());
                    }
                }
            }

            UpstreamResponse response;
            try {
                // A HEAD goes upstream as a GET: it costs GitHub the same unit, stores the entry, and
                // gives the HEAD the Content-Length of the body a GET through the mirror would carry.
                String method = request.method().equals("HEAD") ? "GET" : request.method();
                response = send(new UpstreamRequest(method, request.target(), headers, null, 0), request);
            } catch (UpstreamException e) {
                return failedExchange(request, stored, tier, e);
            }

            boolean keepOpen = false;
            try {
                int status = response.status();
                RateLimitSignals.Kind limit = RateLimitSignals.Kind.NONE;
                byte[] errorBody = null;
                if (status == 403 || status == 429) {
                    errorBody = readSmall(response);
                    limit = RateLimitSignals.classify(status, response.headers(), errorBody);
                }
                observeQuota(request, credential, response, limit);

                if (status == 304 && stored == null && derivedEtag != null) {
                    HeaderFields notModified = response.headers().copy();
                    if (!notModified.contains("ETag")) {
                        notModified.add("ETag", derivedEtag);
                    }
                    Entry adopted = EntryUpdater.freshen(EtagDerivation.shareable(sharedBody), notModified, clock.millis());
                    cache.put(key, adopted);
                    return new Exchange.Buffered(200, null, null, adopted, Outcome.HIT, "derived");
                }

                if (status == 304 && stored != null) {
                    Entry fresh = EntryUpdater.freshen(stored, response.headers(), clock.millis());
                    // A full list page without a next link may hide a page added since; see ListPages.
                    if (!unconditional && request.method().equals("GET")
                            && ListPages.mayHideNextPage(fresh, request.rawQuery())) {
                        unconditional = true;
                        stored = fresh;
                        continue;
                    }
                    cache.refresh(key, fresh, EntryUpdater.significantChange(stored, fresh));
                    return new Exchange.Buffered(200, null, null, fresh, Outcome.HIT, tier);
                }

                if (status == 200 && storable(request, response)) {
                    UpstreamResponse.Body body = response.readBody(settings.cacheMaxEntryBytes());
                    if (body instanceof UpstreamResponse.CompleteBody complete) {
                        Entry entry = new Entry(request.target(), 200, response.headers().copy()
                                .remove("Content-Length").toList(), complete.bytes(),
                                response.headers().first("ETag").orElse(null),
                                response.headers().first("Last-Modified").orElse(null), clock.millis());
                        cache.put(key, entry);
                        // storable() already excludes Set-Cookie, so the shared copy never carries one.
                        if (settings.etagDerivation() && EtagDerivation.eligible(request)) {
                            cache.put(keys.sharedBodyKeyFor(request.target(), request.headers()),
                                    EtagDerivation.shareable(entry));
                        }
                        return new Exchange.Buffered(200, null, null, entry, Outcome.MISS, null);
                    }
                    UpstreamResponse.PartialBody partial = (UpstreamResponse.PartialBody) body;
                    if (stored != null) {
                        cache.remove(key); // the resource changed and its new body is too large to store
                    }
                    keepOpen = true;
                    return new Exchange.Streamed(status, response.headers(),
                            new SequenceInputStream(new ByteArrayInputStream(partial.head()), partial.rest()), response);
                }

                if ((status == 404 || status == 410) && stored != null) {
                    cache.remove(key); // the resource is gone, or the token lost access to it
                }
                if (status == 200 && stored != null) {
                    cache.remove(key); // the resource changed and its new response may not be stored
                }

                if (stored != null && staleAllowed(stored)) {
                    if (limit != RateLimitSignals.Kind.NONE) {
                        // The client paces itself by the rate-limit headers: give it GitHub's current ones.
                        Entry limited = EntryUpdater.freshen(stored, rateLimitHeaders(response.headers()),
                                stored.storedAtMillis());
                        return new Exchange.Buffered(200, null, null, limited, Outcome.STALE_RATE_LIMITED, tier);
                    }
                    if (status >= 500) {
                        return new Exchange.Buffered(200, null, null, stored, Outcome.STALE_ERROR, tier);
                    }
                }

                if (errorBody != null) {
                    return new Exchange.Buffered(status, response.headers(), errorBody, null, Outcome.MISS, null);
                }
                UpstreamResponse.Body body = response.readBody(settings.cacheMaxEntryBytes());
                if (body instanceof UpstreamResponse.CompleteBody complete) {
                    return new Exchange.Buffered(status, response.headers(), complete.bytes(), null, Outcome.MISS, null);
                }
                UpstreamResponse.PartialBody partial = (UpstreamResponse.PartialBody) body;
                keepOpen = true;
                return new Exchange.Streamed(status, response.headers(),
                        new SequenceInputStream(new ByteArrayInputStream(partial.head()), partial.rest()), response);
            } catch (UpstreamException e) {
                return failedExchange(request, stored, tier, e);
            } finally {
                if (!keepOpen) {
                    response.close();
                }
            }
        }
    }

    /** Returns the body another credential stored for this target, when this request may try it. */
    private Entry sharedBody(ClientRequest request, Entry stored) {
        if (stored != null || !settings.etagDerivation() || !EtagDerivation.eligible(request)) {
            return null;
        }
        return cache.get(keys.sharedBodyKeyFor(request.target(), request.headers()))
                .map(TieredCache.Lookup::entry)
                .orElse(null);
    }

    /** Only complete GET 200s with a validator and without {@code no-store} or {@code Set-Cookie} become entries. */
    private static boolean storable(ClientRequest request, UpstreamResponse response) {
        HeaderFields headers = response.headers();
        return request.isRead()
                && (headers.contains("ETag") || headers.contains("Last-Modified"))
                && !headers.containsToken("Cache-Control", "no-store")
                && !headers.contains("Content-Encoding") // an encoding the mirror did not ask for
                // A cookie belongs to one client; anonymous clients share one key and would receive it too.
                && !headers.contains("Set-Cookie");
    }

    private Exchange failedExchange(ClientRequest request, Entry stored, String tier, UpstreamException e) {
        if (e.kind() == UpstreamException.Kind.OFFLINE) {
            // Another request is probing the upstream; this one gets the offline response.
            return stored != null && staleAllowed(stored)
                    ? new Exchange.Buffered(200, null, null, stored, Outcome.OFFLINE_HIT, tier)
                    : failure(e);
        }
        log.warn("Upstream request {} {} failed: {}", request.method(), logUrl(request), e.getMessage());
        if (stored != null && staleAllowed(stored)) {
            Outcome outcome = e.kind() == UpstreamException.Kind.TIMEOUT ? Outcome.STALE_TIMEOUT : Outcome.STALE_ERROR;
            return new Exchange.Buffered(200, null, null, stored, outcome, tier);
        }
        return failure(e);
    }

    private Exchange.Failed failure(UpstreamException e) {
        int status = switch (e.kind()) {
            case TIMEOUT -> 504;
            case OFFLINE -> 503;
            default -> 502;
        };
        return new Exchange.Failed(status, "The mirror could not get a response from " + upstream.base()
                + ": " + e.getMessage() + ".");
    }

    /** Returns whether a stored entry is young enough to serve when upstream cannot confirm it. */
    private boolean staleAllowed(Entry stored) {
        Duration maxAge = settings.resilience().staleMaxAge();
        return maxAge == null || clock.millis() - stored.storedAtMillis() <= maxAge.toMillis();
    }

    // ---------------------------------------------------------------- other methods

    private Answer passThrough(ClientRequest request, ResponseSink sink, Outcome outcome) throws IOException {
        if (health.isOffline()) {
            return sendOffline(sink);
        }
        HeaderFields headers = forwardedHeaders(request);
        UpstreamRequest upstreamRequest = new UpstreamRequest(request.method(), request.target(), headers,
                request.body(), request.contentLength());
        UpstreamResponse response;
        try {
            response = send(upstreamRequest, request);
        } catch (UpstreamException e) {
            if (e.kind() == UpstreamException.Kind.OFFLINE) {
                return sendOffline(sink);
            }
            log.warn("Upstream request {} {} failed: {}", request.method(), logUrl(request), e.getMessage());
            Exchange.Failed failed = failure(e);
            return sendError(sink, failed.status(), failed.message(), outcome);
        }
        try (response) {
            String credential = keys.credentialHash(request.headers().first("Authorization").orElse(null));
            if (response.status() == 403 || response.status() == 429) {
                byte[] body = readSmall(response);
                observeQuota(request, credential, response,
                        RateLimitSignals.classify(response.status(), response.headers(), body));
                return sendBuffered(request, sink, response.status(), response.headers(), body, outcome);
            }
            observeQuota(request, credential, response, RateLimitSignals.Kind.NONE);
            return writeStreamed(request, sink,
                    new Exchange.Streamed(response.status(), response.headers(), response.body(), response), outcome);
        } catch (UpstreamException e) {
            Exchange.Failed failed = failure(e);
            return sendError(sink, failed.status(), failed.message(), outcome);
        }
    }

    // ---------------------------------------------------------------- upstream

    /**
     * Sends a request upstream within the concurrency limit, recording its status for the circuit
     * breaker and the metrics.
     */
    private UpstreamResponse send(UpstreamRequest upstreamRequest, ClientRequest request) throws UpstreamException {
        long queued = System.nanoTime();
        try {
            if (!upstreamSlots.tryAcquire(settings.upstreamTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                throw new UpstreamException(UpstreamException.Kind.TIMEOUT, "timed out waiting for a free upstream slot"
                        + " (UPSTREAM_MAX_CONCURRENCY=" + settings.resilience().upstreamMaxConcurrency() + ")", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(UpstreamException.Kind.IO, "interrupted while waiting for an upstream slot", e);
        }
        metrics.observeQueueTime((System.nanoTime() - queued) / 1e9);
        metrics.upstreamStarted();
        boolean released = false;
        try {
            if (!health.allowRequest()) {
                throw new UpstreamException(UpstreamException.Kind.OFFLINE, "the upstream is marked offline", null);
            }
            UpstreamResponse response;
            try {
                response = upstream.send(upstreamRequest);
            } catch (UpstreamException e) {
                metrics.observeUpstream(e.kind().name().toLowerCase(Locale.ROOT));
                if (e.kind() == UpstreamException.Kind.IO) {
                    health.recordAnswer(); // the upstream was reachable; the exchange itself broke
                } else {
                    health.recordFailure(e);
                }
                throw e;
            } catch (IllegalArgumentException e) {
                health.recordAnswer();
                throw new UpstreamException(UpstreamException.Kind.IO, "the request is not valid HTTP: " + e.getMessage(), e);
            }
            health.recordAnswer();
            metrics.observeUpstream(Integer.toString(response.status()));
            metrics.countUnit(response.status() != 304, access.userLabel(request));
            // The slot stays taken while the body downloads: it is released when the response closes.
            response.onClose(() -> {
                metrics.upstreamFinished();
                upstreamSlots.release();
            });
            released = true;
            return response;
        } finally {
            if (!released) {
                metrics.upstreamFinished();
                upstreamSlots.release();
            }
        }
    }

    private void observeQuota(ClientRequest request, String credential, UpstreamResponse response,
            RateLimitSignals.Kind limit) {
        RateLimitTracker.Quota quota = rateLimits.observe(credential, response.headers(), limit);
        if (quota != null) {
            metrics.observeRateLimit(access.userLabel(request),
                    response.headers().first("X-RateLimit-Resource").orElse("core"),
                    quota.limit(), quota.remaining(), quota.reset().getEpochSecond());
        }
    }

    /** Returns the rate-limit headers of a response, and its Retry-After. */
    private static HeaderFields rateLimitHeaders(HeaderFields headers) {
        HeaderFields limits = new HeaderFields();
        for (io.ghmirror.cache.Header header : headers) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (name.startsWith("x-ratelimit-") || name.equals("retry-after")) {
                limits.add(header.name(), header.value());
            }
        }
        return limits;
    }

    /** Reads an error body that decides rate-limit classification; GitHub's are small. */
    private byte[] readSmall(UpstreamResponse response) throws UpstreamException {
        UpstreamResponse.Body body = response.readBody(settings.cacheMaxEntryBytes());
        if (body instanceof UpstreamResponse.CompleteBody complete) {
            return complete.bytes();
        }
        return ((UpstreamResponse.PartialBody) body).head();
    }

    /** Returns the client's end-to-end headers, as forwarded upstream. */
    private static HeaderFields forwardedHeaders(ClientRequest request) {
        return request.headers().copy()
                .removeHopByHop()
                .remove("Host")
                .remove("Content-Length")
                .remove("Accept-Encoding")
                .remove("Expect");
    }

    // ---------------------------------------------------------------- responses

    private Answer serveEntry(ClientRequest request, ResponseSink sink, Entry entry, Outcome outcome, String tier)
            throws IOException {
        HeaderFields headers = new HeaderFields(entry.headers());
        rewriteHeaders(headers, request.publicBase());
        headers.set("X-Cache", outcome.name());
        if (outcome != Outcome.HIT && outcome != Outcome.MISS && outcome != Outcome.COALESCED) {
            long ageSeconds = Math.max(0, (clock.millis() - entry.storedAtMillis()) / 1000);
            headers.set("Age", Long.toString(ageSeconds));
        }
        if (Validators.clientHasCurrent(request.headers(), entry)) {
            HeaderFields notModified = headers.copy()
                    .remove("Content-Type").remove("Content-Length").remove("Content-Encoding");
            sink.send(304, notModified, new byte[0]);
            return new Answer(outcome, 304, outcome.fromCache() ? tier : null);
        }
        byte[] body = UrlRewriter.isJson(entry.header("Content-Type").orElse(null))
                ? rewrittenBody(entry.body(), request.publicBase())
                : entry.body();
        sink.send(entry.status(), headers, body);
        return new Answer(outcome, entry.status(), outcome.fromCache() ? tier : null);
    }

    /**
     * Returns the body with upstream URLs rewritten, reusing the result for the same stored body and
     * public URL: a revalidated entry keeps its body array, so every HIT would otherwise rescan it.
     */
    private byte[] rewrittenBody(byte[] body, String publicBase) {
        Map<String, byte[]> byBase = rewrittenBodies.get(body, unused -> new ConcurrentHashMap<>());
        byte[] rewritten = byBase.get(publicBase);
        if (rewritten == null) {
            rewritten = rewriter.rewrite(body, publicBase);
            // Hosts seen in the Host header are client-controlled: keep only a few per body.
            if (byBase.size() < MAX_PUBLIC_URLS_PER_BODY) {
                byBase.put(publicBase, rewritten);
                rewrittenBodies.put(body, byBase); // re-weigh with the new value
            }
        }
        return rewritten;
    }

    private Answer sendBuffered(ClientRequest request, ResponseSink sink, int status, HeaderFields upstreamHeaders,
            byte[] body, Outcome outcome) throws IOException {
        HeaderFields headers = upstreamHeaders.copy().remove("Content-Length");
        rewriteHeaders(headers, request.publicBase());
        headers.set("X-Cache", outcome.name());
        byte[] out = UrlRewriter.isJson(headers.first("Content-Type").orElse(null))
                ? rewriter.rewrite(body, request.publicBase())
                : body;
        sink.send(status, headers, out);
        return new Answer(outcome, status, null);
    }

    private Answer writeStreamed(ClientRequest request, ResponseSink sink, Exchange.Streamed streamed)
            throws IOException {
        return writeStreamed(request, sink, streamed, Outcome.MISS);
    }

    /** Streams an upstream response to the client; {@code outcome} is MISS, or BYPASS for requests that skip the cache. */
    private Answer writeStreamed(ClientRequest request, ResponseSink sink, Exchange.Streamed streamed,
            Outcome outcome) throws IOException {
        try (UpstreamResponse ignored = streamed.response()) {
            HeaderFields headers = streamed.headers().copy();
            rewriteHeaders(headers, request.publicBase());
            headers.set("X-Cache", outcome.name());
            InputStream body = streamed.body();
            if (UrlRewriter.isJson(headers.first("Content-Type").orElse(null))) {
                headers.remove("Content-Length");
                body = rewriter.rewrite(body, request.publicBase());
            }
            sink.stream(streamed.status(), headers, body);
            return new Answer(outcome, streamed.status(), null);
        }
    }

    private void rewriteHeaders(HeaderFields headers, String publicBase) {
        for (String name : new String[] {"Link", "Location"}) {
            var values = headers.all(name);
            if (!values.isEmpty()) {
                headers.remove(name);
                for (String value : values) {
                    headers.add(name, rewriter.rewrite(value, publicBase));
                }
            }
        }
    }

    private Answer sendError(ResponseSink sink, int status, String message, Outcome outcome) throws IOException {
        HeaderFields headers = new HeaderFields()
                .add("Content-Type", "application/json; charset=utf-8")
                .add("X-Cache", outcome.name());
        sink.send(status, headers, ErrorBodies.json(message));
        return new Answer(outcome, status, null);
    }

    private Answer sendOffline(ResponseSink sink) throws IOException {
        long retryAfter = Math.max(1, health.retryAfterSeconds());
        HeaderFields headers = new HeaderFields()
                .add("Content-Type", "application/json; charset=utf-8")
                .add("Retry-After", Long.toString(retryAfter))
                .add("X-Cache", Outcome.OFFLINE_MISS.name());
        sink.send(503, headers, ErrorBodies.json("GitHub is unavailable (" + health.offlineReason()
                + ") and the mirror has no cached response for this request. Retry after " + retryAfter + " seconds."));
        return new Answer(Outcome.OFFLINE_MISS, 503, null);
    }

    /** Returns the upstream URL for the log line, with credential query parameters redacted. */
    private String logUrl(ClientRequest request) {
        String query = request.rawQuery();
        if (query != null && SECRET_QUERY.matcher(query).find()) {
            query = SECRET_QUERY.matcher(query).replaceAll("$1$2=REDACTED");
        }
        return upstream.base() + request.rawPath() + (query == null ? "" : "?" + query);
    }
}
