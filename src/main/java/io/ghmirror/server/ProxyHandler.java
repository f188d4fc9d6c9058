package io.ghmirror.server;

import io.ghmirror.config.Settings;
import io.ghmirror.http.HeaderFields;
import io.ghmirror.mirror.ClientRequest;
import io.ghmirror.mirror.ErrorBodies;
import io.ghmirror.mirror.MirrorPipeline;
import io.ghmirror.mirror.ResponseSink;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpException;
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
            if (request.getMethod().equals("CONNECT")) {
                rejectConnect(response);
                callback.succeeded();
                return true;
            }
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
            ClientBody body = new ClientBody(Content.Source.asInputStream(request), maxBody);
            ClientRequest clientRequest = new ClientRequest(
                    request.getMethod(),
                    uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath(),
                    uri.getQuery(),
                    headers,
                    body,
                    length,
                    remoteAddress(request),
                    publicBase(request));
            ResponseSink sink = new BodyCheckedSink(new JettyResponseSink(request, response), body, response);
            pipeline.handle(clientRequest, sink);
            callback.succeeded();
        } catch (IOException | RuntimeException e) {
            callback.failed(e);
        }
        return true;
    }

    /**
     * Rejects CONNECT: the mirror is not a forward proxy, and a tunnel would let a client reach any
     * host through it. Without this check the pipeline would hand it to the upstream client, which
     * rejects the method, and the client would get a 502.
     */
    private static void rejectConnect(Response response) {
        response.setStatus(405);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        byte[] body = ErrorBodies.json("CONNECT is not supported: the mirror forwards requests to its configured "
                + "GitHub API only and opens no tunnels. Send the request with the mirror as the base URL instead.");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), Callback.NOOP);
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

    /** Why reading the client's request body failed: the status the client gets and the message. */
    private record BodyFailure(int status, String message) {}

    /**
     * The client's request body as the pipeline reads it while forwarding. Fails a read once more
     * than the limit has arrived (bodies sent without Content-Length) and records why any read
     * failed, so the client gets 413 or 400 instead of the 502 of a failed upstream exchange.
     */
    private static final class ClientBody extends java.io.FilterInputStream {
        private final long limit;
        private long count;
        private volatile BodyFailure failure;

        ClientBody(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        BodyFailure failure() {
            return failure;
        }

        @Override
        public int read() throws IOException {
            int b;
            try {
                b = super.read();
            } catch (IOException e) {
                throw recordReadFailure(e);
            }
            if (b >= 0) {
                check(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int read;
            try {
                read = super.read(buffer, offset, length);
            } catch (IOException e) {
                throw recordReadFailure(e);
            }
            if (read > 0) {
                check(read);
            }
            return read;
        }

        private void check(int read) throws IOException {
            count += read;
            if (count > limit) {
                failure = new BodyFailure(413, "The request body exceeds the limit of " + limit
                        + " bytes (MAX_REQUEST_BODY_BYTES).");
                throw new IOException("request body exceeds the limit of " + limit + " bytes (MAX_REQUEST_BODY_BYTES)");
            }
        }

        /** Records a body the client sent malformed, such as an invalid chunk size, with Jetty's status for it. */
        private IOException recordReadFailure(IOException e) {
            int status = 400;
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof HttpException http && http.getCode() >= 400 && http.getCode() < 500) {
                    status = http.getCode();
                    break;
                }
            }
            failure = new BodyFailure(status, "The request body could not be read: " + e.getMessage() + ".");
            return e;
        }
    }

    /**
     * Sends the client's own error when its request body failed, whatever the pipeline made of the
     * broken upstream exchange, and closes the connection because the rest of the body cannot be
     * trusted to be framed correctly.
     */
    private static final class BodyCheckedSink implements ResponseSink {
        private final ResponseSink delegate;
        private final ClientBody body;
        private final Response response;

        BodyCheckedSink(ResponseSink delegate, ClientBody body, Response response) {
            this.delegate = delegate;
            this.body = body;
            this.response = response;
        }

        @Override
        public void send(int status, HeaderFields headers, byte[] content) throws IOException {
            BodyFailure failure = body.failure();
            if (failure == null) {
                delegate.send(status, headers, content);
            } else {
                sendFailure(failure);
            }
        }

        @Override
        public void stream(int status, HeaderFields headers, InputStream content) throws IOException {
            BodyFailure failure = body.failure();
            if (failure == null) {
                delegate.stream(status, headers, content);
            } else {
                sendFailure(failure);
            }
        }


        @Override
        public int statusSent(int intended) {
            BodyFailure failure = body.failure();
            return failure == null ? intended : failure.status();
        }

        private void sendFailure(BodyFailure failure) throws IOException {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            HeaderFields headers = new HeaderFields().add("Content-Type", "application/json; charset=utf-8");
            delegate.send(failure.status(), headers, ErrorBodies.json(failure.message()));
        }
    }
}
