package io.ghmirror.server;

import io.ghmirror.mirror.ErrorBodies;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Renders errors that Jetty raises before the mirror receives a request (bad request line, oversized
 * headers, invalid URI) with GitHub-shaped JSON instead of an HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        String reason = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
        String text = switch (code) {
            case 400 -> reason.equalsIgnoreCase("Bad Request")
                    ? "Bad request: the request line, a header, or the percent-encoding of the URL is invalid."
                    : "Bad request: " + reason + ".";
            case 413 -> "The request is too large: " + reason + ".";
            case 414 -> "The request URI is too long (MAX_REQUEST_HEADER_BYTES).";
            case 431 -> "The request headers are too large (MAX_REQUEST_HEADER_BYTES).";
            default -> reason;
        };
        byte[] body = ErrorBodies.json(text);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
