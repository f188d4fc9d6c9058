package io.ghmirror.fake;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import org.eclipse.jetty.http.DateGenerator;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty handler that records each request, applies the offline switch and injected faults, and then serves the
 * fake's resources with GitHub's caching and rate-limit headers.
 *
 * <p>It blocks while it reads request bodies and waits out delays, so it runs on Jetty's blocking thread pool.
 */
final class ApiHandler extends Handler.Abstract {

    static final String VARY = "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding";
    static final String API_VERSION = "2022-11-28";
    private static final Pattern ISSUE_LIST = Pattern.compile("/repos/([^/]+/[^/]+)/issues");
    private static final int CHUNK_SIZE = 16 * 1024;

    /** Response under construction: status, headers and an optional body. */
    private static final class Reply {
        final int status;
        final Map<String, String> headers = new LinkedHashMap<>();
        final byte[] body;

        Reply(int status, byte[] body) {
            this.status = status;
            this.body = body;
        }
    }

    /** One request in flight with the objects Jetty handed over for it. */
    private record Call(Request request, Response response, Callback callback, RecordedRequest recorded,
            String apiPath) {
    }

    private final FakeGitHub fake;
    private final AtomicLong requestIds = new AtomicLong(1);

    ApiHandler(FakeGitHub fake) {
        this.fake = fake;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws IOException {
        byte[] body;
        try (InputStream in = Request.asInputStream(request)) {
            body = in.readAllBytes();
        }
        HttpURI uri = request.getHttpURI();
        RecordedRequest recorded = new RecordedRequest(request.getMethod(), uri.getPathQuery(),
                headerMap(request.getHeaders()), body, Instant.now());
        fake.requestLog().add(recorded);

        String decodedPath = uri.getDecodedPath() == null ? "/" : uri.getDecodedPath();
        String apiPath = fake.apiPathOf(decodedPath);
        Call call = new Call(request, response, callback, recorded, apiPath);

        if (fake.isOffline()) {
            send(call, error(503, "Service Unavailable", Documents.REST_DOCS));
            return true;
        }
        InjectedFault fault = fake.claimFault(apiPath != null ? apiPath : decodedPath);
        if (fault != null && applyFault(call, fault.fault())) {
            return true;
        }
        send(call, respond(call));
        return true;
    }

    /**
     * Waits out the fault's delay and then drops the connection or sends the fault's response. Returns false when
     * the normal response should follow, which is the case for a pure delay.
     */
    private boolean applyFault(Call call, Fault fault) {
        if (!fault.delayBefore().isZero() && !fake.pause(fault.delayBefore())) {
            drop(call);
            return true;
        }
        switch (fault.action()) {
            case DROP -> {
                drop(call);
                return true;
            }
            case STATUS -> {
                Reply reply = new Reply(fault.statusCode(), fault.body().getBytes(StandardCharsets.UTF_8));
                reply.headers.put("Content-Type", Resource.JSON_TYPE);
                reply.headers.putAll(rateLimitHeaders(call.recorded.header("Authorization")));
                reply.headers.putAll(fault.headers());
                send(call, reply);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /** Applies token checks and rate limiting around the route, and adds the caller's rate-limit headers. */
    private Reply respond(Call call) {
        String authorization = call.recorded.header("Authorization");
        if (call.apiPath == null) {
            return error(404, "Not Found", Documents.REST_DOCS);
        }
        if (authorization != null && fake.rejectsUnknownTokens()
                && !fake.data().isKnownToken(Credentials.tokenOf(authorization))) {
            Reply reply = error(401, "Bad credentials", Documents.REST_DOCS);
            reply.headers.putAll(rateLimitHeaders(authorization));
            return reply;
        }

        boolean metered = !call.apiPath.equals("/rate_limit");
        if (metered && !fake.rateLimits().tryAcquire(authorization)) {
            Reply reply = error(403, rateLimitMessage(call, authorization), Documents.RATE_LIMIT_DOCS);
            reply.headers.putAll(rateLimitHeaders(authorization));
            return reply;
        }
        Reply reply = switch (call.request.getMethod()) {
            case "GET", "HEAD" -> get(call, authorization);
            case "POST", "PUT", "PATCH", "DELETE" -> echo(call);
            default -> error(404, "Not Found", Documents.REST_DOCS);
        };
        if (metered && reply.status == 304) {
            fake.rateLimits().refund(authorization);
        }
        reply.headers.putAll(rateLimitHeaders(authorization));
        return reply;
    }

    private Reply get(Call call, String authorization) {
        String apiPath = call.apiPath;
        Resource resource = fake.resources().find(apiPath, call.request.getHttpURI().getQuery());
        String link = null;
        if (resource == null) {
            if (apiPath.equals("/user")) {
                return authenticatedUser(call, authorization);
            }
            if (apiPath.equals("/rate_limit")) {
                String json = Documents.rateLimit(fake.rateLimits().snapshot(authorization));
                resource = Resource.publicJson(json, null);
            }
            Matcher issueList = ISSUE_LIST.matcher(apiPath);
            if (issueList.matches()) {
                GitHubData.IssuePage page = fake.data().issuePage(issueList.group(1),
                        call.request.getHttpURI().getQuery());
                if (page != null) {
                    resource = page.resource();
                    link = page.link();
                }
            }
        }
        if (resource == null || !resource.isReadableBy(authorization)) {
            return error(404, "Not Found", Documents.REST_DOCS);
        }
        return represent(call, resource, link, authorization);
    }

    private Reply authenticatedUser(Call call, String authorization) {
        if (authorization == null) {
            return error(401, "Requires authentication", Documents.AUTHENTICATED_USER_DOCS);
        }
        GitHubData.Account user = fake.data().userForToken(Credentials.tokenOf(authorization));
        Resource profile = user == null ? null : fake.resources().find("/users/" + user.login(), null);
        if (profile == null) {
            return error(401, "Bad credentials", Documents.REST_DOCS);
        }
        return represent(call, profile, null, authorization);
    }

    /** Builds a 200 or 304 for the representation that the request's {@code Accept} selects. */
    private Reply represent(Call call, Resource resource, String link, String authorization) {
        Resource.Representation representation = resource.select(
                Conditionals.joinedHeader(call.recorded, "Accept"));
        String etag = Conditionals.etag(call.recorded, representation.body());
        boolean notModified = Conditionals.isNotModified(call.recorded, etag, resource.lastModified());

        Reply reply = notModified ? new Reply(304, null) : new Reply(200, representation.body());
        // GitHub marks responses to authenticated requests private and anonymous ones public.
        boolean isPrivate = authorization != null || !resource.readerTokens().isEmpty();
        reply.headers.put("Cache-Control", (isPrivate ? "private" : "public") + ", max-age=60, s-maxage=60");
        reply.headers.put("Vary", VARY);
        reply.headers.put("ETag", etag);
        if (resource.lastModified() != null) {
            reply.headers.put("Last-Modified", DateGenerator.formatDate(resource.lastModified()));
        }
        reply.headers.put("X-GitHub-Media-Type", representation.mediaType());
        if (link != null) {
            reply.headers.put("Link", link);
        }
        if (!notModified) {
            reply.headers.put("Content-Type", representation.contentType());
        }
        return reply;
    }

    private Reply echo(Call call) {
        boolean graphql = call.apiPath.equals("/graphql");
        String json = Documents.echo(call.recorded.method(), call.recorded.target(), call.recorded.body(),
                call.recorded.header("Content-Type"));
        Reply reply = new Reply(graphql ? 200 : 201, json.getBytes(StandardCharsets.UTF_8));
        reply.headers.put("Content-Type", Resource.JSON_TYPE);
        reply.headers.put("Vary", VARY);
        reply.headers.put("X-GitHub-Media-Type", Resource.JSON_MEDIA_TYPE);
        return reply;
    }

    private String rateLimitMessage(Call call, String authorization) {
        if (authorization == null) {
            return "API rate limit exceeded for " + Request.getRemoteAddr(call.request) + ". (But here's the good"
                    + " news: Authenticated requests get a higher rate limit. Check out the documentation for more"
                    + " details.)";
        }
        GitHubData.Account user = fake.data().userForToken(Credentials.tokenOf(authorization));
        return "API rate limit exceeded for user ID " + (user == null ? 0 : user.id()) + ".";
    }

    private Map<String, String> rateLimitHeaders(String authorization) {
        RateLimits.Snapshot snapshot = fake.rateLimits().snapshot(authorization);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-RateLimit-Limit", Integer.toString(snapshot.limit()));
        headers.put("X-RateLimit-Remaining", Integer.toString(snapshot.remaining()));
        headers.put("X-RateLimit-Reset", Long.toString(snapshot.resetEpochSecond()));
        headers.put("X-RateLimit-Used", Integer.toString(snapshot.used()));
        headers.put("X-RateLimit-Resource", "core");
        return headers;
    }

    private static Reply error(int status, String message, String documentationUrl) {
        String json = Documents.error(message, documentationUrl, status);
        Reply reply = new Reply(status, json.getBytes(StandardCharsets.UTF_8));
        reply.headers.put("Content-Type", Resource.JSON_TYPE);
        reply.headers.put("X-GitHub-Media-Type", Resource.JSON_MEDIA_TYPE);
        return reply;
    }

    /**
     * Writes the reply. The body is gzip-compressed when the request accepts gzip, omitted for HEAD and 304, and
     * sent with chunked transfer coding when the fake is switched to chunked responses.
     */
    private void send(Call call, Reply reply) {
        HttpFields.Mutable headers = call.response.getHeaders();
        headers.put("Date", DateGenerator.formatDate(Instant.now()));
        headers.put("Server", "github.com");
        headers.put("X-GitHub-Request-Id", String.format("FAKE:%08X", requestIds.getAndIncrement()));
        headers.put("X-GitHub-Api-Version-Selected", API_VERSION);
        reply.headers.forEach(headers::put);
        call.response.setStatus(reply.status);

        if (reply.body == null) {
            if (reply.status == 304) {
                omitContentLength(call.request);
            }
            call.callback.succeeded();
            return;
        }
        byte[] bytes = reply.body;
        String acceptEncoding = Conditionals.joinedHeader(call.recorded, "Accept-Encoding");
        if (bytes.length > 0 && acceptEncoding != null && acceptsGzip(acceptEncoding)) {
            bytes = gzip(bytes);
            headers.put("Content-Encoding", "gzip");
        }
        boolean chunked = fake.isChunked();
        if (!chunked) {
            headers.put("Content-Length", Integer.toString(bytes.length));
        }
        if (call.request.getMethod().equals("HEAD")) {
            call.response.write(true, BufferUtil.EMPTY_BUFFER, call.callback);
        } else if (chunked) {
            writeChunked(call, bytes);
        } else {
            call.response.write(true, ByteBuffer.wrap(bytes), call.callback);
        }
    }

    /**
     * Keeps Jetty 12.1 from sending {@code Content-Length: 0} on a 304, which RFC 9110 (section 8.6) forbids when
     * the 200 would have had a body. GitHub sends no {@code Content-Length} on a 304.
     */
    private static void omitContentLength(Request request) {
        request.addHttpStreamWrapper(stream -> new HttpStream.Wrapper(stream) {
            @Override
            public void send(MetaData.Request metaRequest, MetaData.Response metaResponse, boolean last,
                    ByteBuffer content, Callback callback) {
                MetaData.Response adjusted = metaResponse;
                if (metaResponse != null && metaResponse.getStatus() == 304) {
                    HttpFields fields = HttpFields.build(metaResponse.getHttpFields())
                            .remove(HttpHeader.CONTENT_LENGTH);
                    adjusted = new MetaData.Response(304, metaResponse.getReason(), metaResponse.getHttpVersion(),
                            fields, -1);
                }
                super.send(metaRequest, adjusted, last, content, callback);
            }
        });
    }

    /** Writes the body in pieces without a {@code Content-Length}, so Jetty uses chunked transfer coding. */
    private static void writeChunked(Call call, byte[] bytes) {
        try {
            for (int offset = 0; offset < bytes.length; offset += CHUNK_SIZE) {
                int length = Math.min(CHUNK_SIZE, bytes.length - offset);
                Content.Sink.write(call.response, false, ByteBuffer.wrap(bytes, offset, length));
            }
            Content.Sink.write(call.response, true, BufferUtil.EMPTY_BUFFER);
            call.callback.succeeded();
        } catch (IOException e) {
            call.callback.failed(e);
        }
    }

    /** Closes the connection so that the client receives no response at all. */
    private static void drop(Call call) {
        call.request.getConnectionMetaData().getConnection().getEndPoint().close();
        call.callback.failed(new EofException("connection dropped by an injected fault"));
    }

    /** Returns whether an {@code Accept-Encoding} value lists gzip with a non-zero quality. */
    static boolean acceptsGzip(String acceptEncoding) {
        for (String coding : acceptEncoding.split(",")) {
            String[] parts = coding.split(";");
            if (!parts[0].trim().toLowerCase(Locale.ROOT).equals("gzip")) {
                continue;
            }
            for (int i = 1; i < parts.length; i++) {
                String parameter = parts[i].trim().toLowerCase(Locale.ROOT);
                if (parameter.startsWith("q=") && parameter.substring(2).matches("0(\\.0{0,3})?")) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static byte[] gzip(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 2 + 64);
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(body);
        } catch (IOException e) {
            throw new UncheckedIOException("gzip into memory failed", e);
        }
        return out.toByteArray();
    }

    private static Map<String, List<String>> headerMap(HttpFields fields) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (HttpField field : fields) {
            headers.computeIfAbsent(field.getName(), name -> new ArrayList<>()).add(field.getValue());
        }
        return headers;
    }
}
