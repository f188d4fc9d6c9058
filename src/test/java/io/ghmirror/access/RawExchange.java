package io.ghmirror.access;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Sends hand-written bytes to a server on 127.0.0.1 and reads one HTTP/1.1 response, for requests
 * that well-behaved clients refuse to produce.
 *
 * @param status the response status code, or -1 when the server closed the connection without one
 * @param head the status line and headers as received
 * @param body the response body
 * @param closed whether the server closed the connection after the response; only checked by
 *     {@link #sendAwaitingClose}, and {@code false} otherwise
 */
record RawExchange(int status, String head, String body, boolean closed) {

    /** Time allowed for each read, and for the server to close the connection after its response. */
    private static final int READ_TIMEOUT_MILLIS = 5_000;

    /** Sends the request bytes (ISO-8859-1) and reads one response. */
    static RawExchange send(int port, String request) throws IOException {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1), false);
    }

    /**
     * Sends the request bytes (ISO-8859-1), reads one response, then waits up to the read timeout
     * for the server to close the connection.
     */
    static RawExchange sendAwaitingClose(int port, String request) throws IOException {
        return send(port, request.getBytes(StandardCharsets.ISO_8859_1), true);
    }

    private static RawExchange send(int port, byte[] request, boolean awaitClose) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // The server may reject and close before reading everything; its response still counts.
            }
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return new RawExchange(-1, "", "", true);
            }
            int status = Integer.parseInt(head.substring(9, 12));
            String body = readBody(in, head);
            return new RawExchange(status, head, body, awaitClose && closedAfter(in));
        }
    }

    /** Returns the value of a response header, or {@code null}. */
    String header(String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        try {
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
                if (matched == 4) {
                    return head.toString(StandardCharsets.ISO_8859_1);
                }
            }
        } catch (IOException e) {
            // A reset connection without a response.
        }
        return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readBody(InputStream in, String head) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        int index = lower.indexOf("\r\ncontent-length:");
        if (index >= 0) {
            int start = index + "\r\ncontent-length:".length();
            int length = Integer.parseInt(lower.substring(start, lower.indexOf("\r\n", start)).trim());
            byte[] body = in.readNBytes(length);
            return new String(body, StandardCharsets.UTF_8);
        }
        if (lower.contains("\r\ntransfer-encoding: chunked")) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = readLine(in);
                int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
                if (size == 0) {
                    readLine(in);
                    return body.toString(StandardCharsets.UTF_8);
                }
                body.write(in.readNBytes(size));
                readLine(in);
            }
        }
        return "";
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private static boolean closedAfter(InputStream in) {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }
}
