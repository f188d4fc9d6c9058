package io.ghmirror.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sends hand-written HTTP/1.1 requests to a port on 127.0.0.1 over a plain socket, for requests
 * that {@link java.net.http.HttpClient} rejects: malformed request lines, absolute-form
 * targets, hop-by-hop headers and oversized headers.
 */
public final class RawHttp {

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int READ_TIMEOUT_MILLIS = 10_000;
    private static final int MAX_LINE_BYTES = 64 * 1024;

    private RawHttp() {}

    /** One parsed response: status, headers keyed case-insensitively, and the decoded body. */
    public record Response(int status, Map<String, List<String>> headers, byte[] body) {

        /** Returns the first value of the header, or null when the response has none. */
        public String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * Sends the request text as ISO-8859-1 bytes and reads one response. The text must contain the
     * request line, the headers and the blank line, with CRLF line ends.
     *
     * @throws IOException when the connection fails, or no complete response arrives within 10 seconds
     */
    public static Response send(int port, String request) throws IOException {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends raw request bytes and reads one response, as {@link #send(int, String)} does. */
    public static Response send(int port, byte[] request) throws IOException {
        boolean head = new String(request, 0, Math.min(5, request.length), StandardCharsets.ISO_8859_1)
                .equals("HEAD ");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            return readResponse(in, head);
        } catch (SocketTimeoutException e) {
            throw new IOException("no complete response from 127.0.0.1:" + port + " within "
                    + READ_TIMEOUT_MILLIS + " ms", e);
        }
    }

    /**
     * Sends raw request bytes and returns everything the server sends until it closes the
     * connection, for pipelined requests whose responses are checked as text.
     *
     * @throws IOException when the connection fails, or the server keeps it open for 10 seconds
     */
    public static String sendUntilClose(int port, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
            throw new IOException("127.0.0.1:" + port + " kept the connection open for " + READ_TIMEOUT_MILLIS
                    + " ms", e);
        }
    }

    private static Response readResponse(InputStream in, boolean head) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) {
            throw new EOFException("the server closed the connection without a response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("invalid status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);

        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        while (true) {
            String line = readLine(in);
            if (line == null || line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(line.substring(0, colon).trim(), name -> new ArrayList<>())
                        .add(line.substring(colon + 1).trim());
            }
        }
        headers.replaceAll((name, values) -> List.copyOf(values));

        byte[] body;
        boolean bodiless = head || status == 204 || status == 304 || (status >= 100 && status < 200);
        List<String> transferEncoding = headers.getOrDefault("Transfer-Encoding", List.of());
        List<String> contentLength = headers.getOrDefault("Content-Length", List.of());
        if (bodiless) {
            body = new byte[0];
        } else if (transferEncoding.stream().anyMatch(value -> value.toLowerCase().contains("chunked"))) {
            body = readChunked(in);
        } else if (!contentLength.isEmpty()) {
            body = in.readNBytes(Integer.parseInt(contentLength.get(0)));
        } else {
            body = in.readAllBytes();
        }
        return new Response(status, Collections.unmodifiableMap(headers), body);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                throw new EOFException("the chunked body ended without a last chunk");
            }
            int extension = sizeLine.indexOf(';');
            int size = Integer.parseInt((extension < 0 ? sizeLine : sizeLine.substring(0, extension)).trim(), 16);
            if (size == 0) {
                while (true) {
                    String trailer = readLine(in);
                    if (trailer == null || trailer.isEmpty()) {
                        return body.toByteArray();
                    }
                }
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length < size) {
                throw new EOFException("a chunk ended after " + chunk.length + " of " + size + " bytes");
            }
            body.write(chunk);
            readLine(in);
        }
    }

    /** Reads one line without its CRLF, or returns null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
            if (line.size() > MAX_LINE_BYTES) {
                throw new IOException("a response line exceeds " + MAX_LINE_BYTES + " bytes");
            }
        }
    }
}
