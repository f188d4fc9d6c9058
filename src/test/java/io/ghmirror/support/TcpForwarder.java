package io.ghmirror.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder on a 127.0.0.1 port that a test switches between forwarding to a target port and
 * refusing connections, so an upstream can become unreachable and come back at the same address.
 *
 * <p>While refusing, nothing listens on the port, so a connect attempt fails with "connection
 * refused", and the connections that were open are closed.
 */
public final class TcpForwarder implements AutoCloseable {

    private static final String LOOPBACK = "127.0.0.1";

    private final int targetPort;
    private final int port;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicLong bytesToTarget = new AtomicLong();
    private ServerSocket listener; // guarded by this

    private TcpForwarder(int targetPort) throws IOException {
        this.targetPort = targetPort;
        ServerSocket first = bind(0);
        this.port = first.getLocalPort();
        synchronized (this) {
            listen(first);
        }
    }

    /** Starts forwarding connections to {@code 127.0.0.1:targetPort}. */
    public static TcpForwarder start(int targetPort) throws IOException {
        return new TcpForwarder(targetPort);
    }

    /** Returns the port clients connect to. */
    public int port() {
        return port;
    }

    /** Returns {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return "http://" + LOOPBACK + ":" + port;
    }

    /** Returns the number of connections accepted since the start, in either mode. */
    public int accepted() {
        return accepted.get();
    }

    /** Returns the bytes forwarded from clients to the target since the start. */
    public long bytesToTarget() {
        return bytesToTarget.get();
    }

    /** Stops listening and closes the open connections, so later connect attempts are refused. */
    public synchronized void refuse() {
        if (listener == null) {
            return;
        }
        closeQuietly(listener);
        listener = null;
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        open.clear();
    }

    /**
     * Listens on the same port again and forwards new connections.
     *
     * @throws IOException when the port was taken by another process in the meantime
     */
    public synchronized void forward() throws IOException {
        if (listener == null) {
            listen(bind(port));
        }
    }

    @Override
    public void close() {
        refuse();
    }

    private static ServerSocket bind(int port) throws IOException {
        ServerSocket server = new ServerSocket();
        // Connections in TIME_WAIT from the previous listener must not block binding the port again.
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port), 50);
        return server;
    }

    private void listen(ServerSocket server) {
        listener = server;
        Thread.ofVirtual().name("forwarder-accept-" + port).start(() -> acceptLoop(server));
    }

    private void acceptLoop(ServerSocket server) {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // refuse() closed the listener
            }
            accepted.incrementAndGet();
            Socket target;
            try {
                target = new Socket(LOOPBACK, targetPort);
            } catch (IOException e) {
                closeQuietly(client);
                continue;
            }
            synchronized (this) {
                if (listener != server) {
                    closeQuietly(client);
                    closeQuietly(target);
                    return;
                }
                open.add(client);
                open.add(target);
            }
            pump(client, target, true);
            pump(target, client, false);
        }
    }

    private void pump(Socket from, Socket to, boolean countBytes) {
        Thread.ofVirtual().name("forwarder-pump-" + port).start(() -> {
            byte[] buffer = new byte[16384];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, read);
                    out.flush();
                    if (countBytes) {
                        bytesToTarget.addAndGet(read);
                    }
                }
            } catch (IOException e) {
                // One side closed or reset the connection, so close both below.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        });
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // Closing only releases the socket; the test does not depend on how it ended.
        }
    }
}
