package io.ghmirror.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal blocking RESP2 client for test setup and inspection, independent of the client under
 * test, so that checks such as {@code INFO commandstats} do not go through Lettuce.
 *
 * <p>Replies map to Java types as follows: simple string to {@link String}, integer to {@link
 * Long}, bulk string to {@code byte[]} (or {@code null}), array to {@link List}. An error reply
 * raises {@link RedisServerReplyException}.
 */
public final class RedisServerConnection implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /**
     * Opens a connection and authenticates when a password is given.
     *
     * @param timeoutMillis the connect timeout and the read timeout of every reply
     * @throws IOException when the server cannot be reached or rejects the password
     */
    public RedisServerConnection(String host, int port, String password, int timeoutMillis)
            throws IOException {
        socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            if (password != null) {
                command("AUTH", password);
            }
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Sends one command and reads its reply.
     *
     * @param args the command name and its arguments, each a {@link String} (sent as UTF-8), a
     *     {@code byte[]} or a number
     * @return the decoded reply, see the class description for the mapping
     * @throws IOException when the connection fails or times out
     * @throws RedisServerReplyException when the server replies with an error
     */
    public Object command(Object... args) throws IOException {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (Object arg : args) {
            byte[] bytes = arg instanceof byte[] raw
                    ? raw
                    : String.valueOf(arg).getBytes(StandardCharsets.UTF_8);
            request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            request.writeBytes(bytes);
            request.writeBytes(new byte[] {'\r', '\n'});
        }
        out.write(request.toByteArray());
        out.flush();
        return readReply(String.valueOf(args[0]));
    }

    private Object readReply(String commandName) throws IOException {
        int type = in.read();
        if (type == -1) {
            throw new EOFException("connection closed while waiting for the reply to " + commandName);
        }
        String line = readLine();
        return switch (type) {
            case '+' -> line;
            case '-' -> throw new RedisServerReplyException(commandName + " failed: " + line);
            case ':' -> Long.parseLong(line);
            case '$' -> readBulk(Integer.parseInt(line));
            case '*' -> readArray(Integer.parseInt(line), commandName);
            default -> throw new IOException(
                    "unexpected RESP type byte '" + (char) type + "' in the reply to " + commandName);
        };
    }

    private byte[] readBulk(int length) throws IOException {
        if (length < 0) {
            return null;
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length || in.read() != '\r' || in.read() != '\n') {
            throw new EOFException("bulk reply ended early");
        }
        return bytes;
    }

    private List<Object> readArray(int count, String commandName) throws IOException {
        if (count < 0) {
            return null;
        }
        List<Object> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            items.add(readReply(commandName));
        }
        return items;
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed in the middle of a reply line");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("reply line does not end with CRLF");
                }
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** An error reply from the server, such as {@code NOAUTH} or {@code WRONGTYPE}. */
    public static final class RedisServerReplyException extends RuntimeException {

        RedisServerReplyException(String message) {
            super(message);
        }
    }
}
