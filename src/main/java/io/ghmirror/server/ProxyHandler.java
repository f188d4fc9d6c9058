package io.ghmirror.server;

import io.ghmirror.config.Settings;
import io.ghmirror.http.HeaderFields;
import io.ghmirror.mirror.ClientRequest;
import io.ghmirror.mirror.ErrorBodies;
import io.ghmirror.mirror.MirrorPipeline;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Adapts a Jetty request to the mirror pipeline; runs on a virtual thread and may block. */
final class ProxyHandler extends Handler.Abstract {

    /** A Host value that is safe to put into rewritten URLs: host name or IP literal, optional port. */
    private static final Pattern SAFE_AUTHORITY = Pattern.compile("[A-Za-z0-9._\\-]+(:\\d{1,5})?|\\[[0-9A-Fa-f:.]+\\](:\\d{1,5})?");

    private final MirrorPipeline pipeline;
    private final Settings settings;

    ProxyHandler(MirrorPipeline pipeline, Settings settings) {
        this.pipeline = pipeline;
        this.settings = settings;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        try {
            long length = request.getLength();
            long maxBody = settings.limits().maxRequestBodyBytes();
            if (length > maxBody) {
                rejectOversizedBody(response, length, maxBody);
                callback.succeeded();
                return true;
            }

            HttpURI uri = request.getHttpURI();
            HeaderFields headers = new HeaderFields();
            for (HttpField field : request.getHeaders()) {
                headers.add(field.getName(), field.getValue());
            }
            InputStream body = new LimitedInputStream(Content.Source.asInputStream(request), maxBody);
            ClientRequest clientRequest = new ClientRequest(
                    request.getMethod(),
                    uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath(),
                    uri.getQuery(),
                    headers,
                    body,
                    length,
                    remoteAddress(request),
                    publicBase(request));
            pipeline.handle(clientRequest, new JettyResponseSink(request, response));
            callback.succeeded();
        } catch (IOException | RuntimeException e) {
            callback.failed(e);
        }
        return true;
    }

    private static void rejectOversizedBody(Response response, long length, long maxBody) {
        response.setStatus(413);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        byte[] body = ErrorBodies.json("The request body of " + length + " bytes exceeds the limit of " + maxBody
                + " bytes (MAX_REQUEST_BODY_BYTES).");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), Callback.NOOP);
    }

    /** Returns the public URL for rewriting: the configured one, else the scheme and Host of the request. */
    private String publicBase(Request request) {
        if (settings.publicUrl() != null) {
            return settings.publicUrl().toString();
        }
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host == null || host.isBlank()) {
            host = request.getHttpURI().getAuthority();
        }
        if (host == null || !SAFE_AUTHORITY.matcher(host).matches()) {
            SocketAddress local = request.getConnectionMetaData().getLocalSocketAddress();
            host = local instanceof InetSocketAddress inet
                    ? inet.getHostString() + ":" + inet.getPort()
                    : "localhost";
        }
        return (request.isSecure() ? "https://" : "http://") + host;
    }

    private static String remoteAddress(Request request) {
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        return remote instanceof InetSocketAddress inet ? inet.getHostString() : String.valueOf(remote);
    }

    /** Fails a read once more than the limit has arrived, for bodies sent without Content-Length. */
    private static final class LimitedInputStream extends java.io.FilterInputStream {
        private final long limit;
        private long count;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                check(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int read = super.read(buffer, offset, length);
            if (read > 0) {
                check(read);
            }
            return read;
        }

        private void check(int read) throws IOException {
            count += read;
            if (count > limit) {
                throw new IOException("request body exceeds the limit of " + limit + " bytes (MAX_REQUEST_BODY_BYTES)");
            }
        }
    }
}
