package io.ghmirror.upstream;

import io.ghmirror.cache.Header;
import io.ghmirror.http.HeaderFields;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLException;

/**
 * Sends requests to the configured GitHub API base URL and nowhere else. Uses HTTP/2 for https
 * upstreams and HTTP/1.1 for plain http ones (h2c upgrade requests confuse many test servers and
 * proxies). Asks for gzip and decodes it, so callers see the identity bytes.
 */
public final class UpstreamClient implements AutoCloseable {

    /** Fields the JDK client sets itself and rejects from callers. */
    private static final Set<String> CLIENT_MANAGED = Set.of("host", "content-length", "expect", "connection", "upgrade");

    private final URI base;
    private final String baseText;
    private final HttpClient client;
    private final Duration timeout;
    private final ReadTimeoutInputStream.Sweeper readTimeouts;

    public UpstreamClient(URI base, Duration connectTimeout, Duration timeout) {
        this.base = base;
        this.baseText = base.toString();
        this.timeout = timeout;
        // Checks a few times per timeout period, so a stalled read fails within about 1.25 timeouts.
        this.readTimeouts = new ReadTimeoutInputStream.Sweeper(
                timeout.dividedBy(4).compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : timeout.dividedBy(4));
        boolean https = base.getScheme().equalsIgnoreCase("https");
        this.client = HttpClient.newBuilder()
                .version(https ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                .build();
    }

    /** Returns the base URL every request goes to. */
    public URI base() {
        return base;
    }

    /**
     * Builds the absolute upstream URL for a raw target, keeping every byte of path and query.
     *
     * @throws IllegalArgumentException when the target contains characters that are not valid in a URI
     */
    public URI urlFor(String target) {
        if (!target.startsWith("/")) {
            throw new IllegalArgumentException("target must start with '/'");
        }
        URI uri = URI.create(baseText + target);
        // The concatenation can only change the authority if the base were malformed. The check
        // stays anyway, so that no target can ever redirect the mirror to another host.
        if (!base.getRawAuthority().equals(uri.getRawAuthority()) || !base.getScheme().equals(uri.getScheme())) {
            throw new IllegalArgumentException("target would leave the configured upstream");
        }
        return uri;
    }

    /**
     * Sends the request and returns once the response headers arrived.
     *
     * @throws UpstreamException when the upstream is unreachable, times out or the connection breaks
     * @throws IllegalArgumentException when the target or a header is not valid HTTP
     */
    public UpstreamResponse send(UpstreamRequest request) throws UpstreamException {
        URI url = urlFor(request.target());
        HttpRequest.Builder builder = HttpRequest.newBuilder(url).timeout(timeout);
        for (Header header : request.headers()) {
            String name = header.name().toLowerCase(Locale.ROOT);
            if (!CLIENT_MANAGED.contains(name) && !name.equals("accept-encoding")) {
                builder.header(header.name(), header.value());
            }
        }
        // Compression is negotiated per hop: the mirror decodes gzip itself.
        builder.header("Accept-Encoding", "gzip");
        builder.method(request.method(), publisher(request));

        HttpResponse<InputStream> response;
        try {
            response = client.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw new UpstreamException(UpstreamException.Kind.TIMEOUT,
                    "timed out connecting to " + hostOf(url), e);
        } catch (HttpTimeoutException e) {
            throw new UpstreamException(UpstreamException.Kind.TIMEOUT,
                    "timed out waiting for " + hostOf(url) + " to answer", e);
        } catch (ConnectException e) {
            throw new UpstreamException(UpstreamException.Kind.CONNECT,
                    "cannot connect to " + hostOf(url) + ": " + describe(e), e);
        } catch (SSLException e) {
            throw new UpstreamException(UpstreamException.Kind.CONNECT,
                    "TLS handshake with " + hostOf(url) + " failed: " + describe(e), e);
        } catch (IOException e) {
            if (rootCause(e) instanceof UnresolvedAddressException || rootCause(e) instanceof java.net.UnknownHostException) {
                throw new UpstreamException(UpstreamException.Kind.CONNECT,
                        "cannot resolve the upstream host " + base.getHost(), e);
            }
            throw new UpstreamException(UpstreamException.Kind.IO,
                    "connection to " + hostOf(url) + " failed: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException(UpstreamException.Kind.IO, "interrupted while waiting for " + hostOf(url), e);
        }

        HeaderFields headers = new HeaderFields();
        for (Map.Entry<String, List<String>> field : response.headers().map().entrySet()) {
            if (field.getKey().startsWith(":")) {
                continue; // HTTP/2 pseudo-headers such as :status
            }
            for (String value : field.getValue()) {
                headers.add(field.getKey(), value);
            }
        }
        headers.removeHopByHop();
        InputStream body = new ReadTimeoutInputStream(response.body(), readTimeouts, timeout);
        String encoding = headers.first("Content-Encoding").orElse("identity").trim();
        if (encoding.equalsIgnoreCase("gzip") || encoding.equalsIgnoreCase("x-gzip")) {
            body = new LazyGzipInputStream(body);
            headers.remove("Content-Encoding");
            headers.remove("Content-Length");
        } else if (encoding.equalsIgnoreCase("identity")) {
            headers.remove("Content-Encoding");
        }
        return new UpstreamResponse(response.statusCode(), headers, body, url.toString());
    }

    private static HttpRequest.BodyPublisher publisher(UpstreamRequest request) {
        if (request.body() == null || request.contentLength() == 0) {
            return HttpRequest.BodyPublishers.noBody();
        }
        HttpRequest.BodyPublisher stream = HttpRequest.BodyPublishers.ofInputStream(request::body);
        return request.contentLength() > 0
                ? HttpRequest.BodyPublishers.fromPublisher(stream, request.contentLength())
                : stream;
    }

    private String hostOf(URI url) {
        return url.getScheme() + "://" + url.getRawAuthority();
    }

    private static Throwable rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static String describe(Throwable error) {
        Throwable root = rootCause(error);
        if (root instanceof java.nio.channels.ClosedChannelException
                || (root instanceof ConnectException && (root.getMessage() == null || root.getMessage().isBlank()))) {
            return "connection refused or closed";
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
    }

    @Override
    public void close() {
        readTimeouts.close();
        client.close();
    }

    /**
     * Decodes gzip on first read, so that an empty body (a 304, a HEAD response) with a gzip
     * Content-Encoding does not fail on the missing gzip header.
     */
    private static final class LazyGzipInputStream extends InputStream {
        private final InputStream raw;
        private InputStream decoded;

        LazyGzipInputStream(InputStream raw) {
            this.raw = raw;
        }

        private InputStream decoded() throws IOException {
            if (decoded == null) {
                java.io.PushbackInputStream probe = new java.io.PushbackInputStream(raw, 1);
                int first = probe.read();
                if (first < 0) {
                    decoded = InputStream.nullInputStream();
                } else {
                    probe.unread(first);
                    decoded = new GZIPInputStream(probe, 16384);
                }
            }
            return decoded;
        }

        @Override
        public int read() throws IOException {
            return decoded().read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return decoded().read(buffer, offset, length);
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }
}
