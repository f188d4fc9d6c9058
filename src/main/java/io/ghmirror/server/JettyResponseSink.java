package io.ghmirror.server;

import io.ghmirror.cache.Header;
import io.ghmirror.http.HeaderFields;
import io.ghmirror.mirror.ResponseSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;

/**
 * Writes pipeline responses to a Jetty response. Owns compression toward the client: a body is
 * gzip-compressed only when the client's {@code Accept-Encoding} allows gzip, so a client that did
 * not ask never receives a compressed body.
 */
final class JettyResponseSink implements ResponseSink {

    /** Bodies smaller than this gain nothing from compression. */
    private static final int MIN_COMPRESS_BYTES = 1024;

    /** Fields the server computes for this hop. */
    private static final Set<String> HOP_FIELDS = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "server");

    private final Request request;
    private final Response response;
    private final boolean head;
    private final boolean acceptsGzip;

    JettyResponseSink(Request request, Response response) {
        this.request = request;
        this.response = response;
        this.head = request.getMethod().equals("HEAD");
        this.acceptsGzip = acceptsGzip(request.getHeaders().getValuesList(HttpHeader.ACCEPT_ENCODING));
    }

    @Override
    public void send(int status, HeaderFields headers, byte[] body) throws IOException {
        response.setStatus(status);
        copyHeaders(headers);
        byte[] out = body;
        if (compress(status, headers, body.length)) {
            out = gzip(body);
            markCompressed();
        }
        if (status != 304 && status != 204 && !(status >= 100 && status < 200)) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, out.length);
        }
        try (Blocker.Callback blocker = Blocker.callback()) {
            response.write(true, head || out.length == 0 ? null : ByteBuffer.wrap(out), blocker);
            blocker.block();
        }
    }

    @Override
    public void stream(int status, HeaderFields headers, InputStream body) throws IOException {
        response.setStatus(status);
        copyHeaders(headers);
        boolean gzip = compress(status, headers, Integer.MAX_VALUE);
        if (gzip) {
            markCompressed();
        } else {
            headers.first("Content-Length").ifPresent(length -> response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length));
        }
        if (head) {
            try (Blocker.Callback blocker = Blocker.callback()) {
                response.write(true, null, blocker);
                blocker.block();
            }
            return;
        }
        try (OutputStream raw = Content.Sink.asOutputStream(response);
                OutputStream out = gzip ? new GZIPOutputStream(raw, 16384) : raw) {
            body.transferTo(out);
        }
    }


    private void copyHeaders(HeaderFields headers) {
        for (Header header : headers) {
            if (!HOP_FIELDS.contains(header.name().toLowerCase(Locale.ROOT))) {
                response.getHeaders().add(header.name(), header.value());
            }
        }
    }

    private boolean compress(int status, HeaderFields headers, long length) {
        return acceptsGzip
                && status != 204 && status != 304
                && length >= MIN_COMPRESS_BYTES
                && !headers.contains("Content-Encoding")
                && compressible(headers.first("Content-Type").orElse(""));
    }

    private void markCompressed() {
        response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
        String vary = response.getHeaders().get(HttpHeader.VARY);
        if (vary == null) {
            response.getHeaders().put(HttpHeader.VARY, "Accept-Encoding");
        } else if (!vary.toLowerCase(Locale.ROOT).contains("accept-encoding")) {
            response.getHeaders().put(HttpHeader.VARY, vary + ", Accept-Encoding");
        }
    }

    /** Text and JSON compress well; images, archives and octet streams usually do not. */
    private static boolean compressible(String contentType) {
        String type = contentType.toLowerCase(Locale.ROOT);
        return type.startsWith("text/") || type.contains("json") || type.contains("xml")
                || type.contains("javascript") || type.startsWith("application/vnd.github")
                        && !type.contains("octet");
    }

    /** Returns whether the Accept-Encoding values allow gzip (RFC 9110 section 12.5.3), honouring q=0. */
    static boolean acceptsGzip(java.util.List<String> values) {
        boolean wildcard = false;
        for (String value : values) {
            for (String part : value.split(",")) {
                String[] pieces = part.trim().split(";");
                String coding = pieces[0].trim().toLowerCase(Locale.ROOT);
                boolean refused = false;
                for (int i = 1; i < pieces.length; i++) {
                    String parameter = pieces[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
                    if (parameter.matches("q=0(\\.0{0,3})?")) {
                        refused = true;
                    }
                }
                if (coding.equals("gzip") || coding.equals("x-gzip")) {
                    return !refused;
                }
                if (coding.equals("*")) {
                    wildcard = !refused;
                }
            }
        }
        return wildcard;
    }

    private static byte[] gzip(byte[] body) throws IOException {
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream(Math.max(64, body.length / 4));
        try (GZIPOutputStream out = new GZIPOutputStream(buffer, 8192)) {
            out.write(body);
        }
        return buffer.toByteArray();
    }
}
