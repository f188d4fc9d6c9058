package io.ghmirror.cache;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Redis connection of a {@link RedisStore}, either to the primary or to the reader endpoint.
 *
 * <p>The connection is opened in the background. While it does not exist, commands fail at once
 * and each of them may start a new attempt, at most one per {@link #CONNECT_RETRY_INTERVAL}.
 * Once open, Lettuce reconnects by itself after an outage. Every command waits at most the command
 * timeout, reports its duration to the latency observer and turns any failure into a {@link
 * CacheStoreException}. The first failure of an outage is logged at WARN, later ones at DEBUG
 * only, and the next successful command logs the recovery at INFO.
 */
final class RedisEndpoint implements AutoCloseable {

    /** Minimum time between two connection attempts while no connection exists. */
    static final Duration CONNECT_RETRY_INTERVAL = Duration.ofSeconds(1);

    /**
     * Extra wait on top of the command timeout before this class gives up on a reply itself,
     * normally never reached because Lettuce fails the command at the timeout.
     */
    private static final long TIMEOUT_GRACE_MILLIS = 100;

    private static final Logger log = LoggerFactory.getLogger(RedisEndpoint.class);

    /** An open connection and its asynchronous command interface, standalone or cluster. */
    record Session(
            StatefulConnection<byte[], byte[]> connection,
            RedisClusterAsyncCommands<byte[], byte[]> commands) {}

    private final String description;
    private final Supplier<CompletionStage<Session>> connector;
    private final Duration timeout;
    private final RedisLatencyObserver observer;
    private final String password;

    private final AtomicBoolean failing = new AtomicBoolean();
    private volatile String problem;
    private volatile Session session;

    // Guarded by this.
    private CompletableFuture<Session> pendingConnect;
    private long nextConnectNanos;
    private String lastConnectError;
    private boolean closed;

    /**
     * Creates the endpoint without connecting; {@link #connectInBackground()} starts the first
     * attempt.
     *
     * @param description the role and address used in messages, such as {@code primary Redis at
     *     127.0.0.1:6379}, which must not contain the password
     * @param connector opens a new connection asynchronously
     * @param password the configured password, removed from every error message, or {@code null}
     */
    RedisEndpoint(
            String description,
            Supplier<CompletionStage<Session>> connector,
            Duration timeout,
            RedisLatencyObserver observer,
            String password) {
        this.description = description;
        this.connector = connector;
        this.timeout = timeout;
        this.observer = observer;
        this.password = password;
    }

    /** Returns the role and address of this endpoint, for messages. */
    String description() {
        return description;
    }

    /** Starts a connection attempt unless one is running, one exists, or the last one was too recent. */
    void connectInBackground() {
        startConnectIfDue();
    }

    /**
     * Sends one command and waits for its reply.
     *
     * @param command the command name for messages and the latency observer
     * @param call sends the command on the given interface and returns its pending reply
     * @return the reply
     * @throws CacheStoreException when there is no connection, the command fails or times out, or
     *     the calling thread is interrupted
     */
    <T> T execute(
            String command,
            Function<RedisClusterAsyncCommands<byte[], byte[]>, ? extends CompletionStage<T>> call) {
        Session current = acquire();
        long started = System.nanoTime();
        CompletableFuture<T> reply = null;
        try {
            reply = call.apply(current.commands()).toCompletableFuture();
            T result = reply.get(timeout.toMillis() + TIMEOUT_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            recordSuccess();
            return result;
        } catch (ExecutionException e) {
            throw recordFailure(command, e.getCause() != null ? e.getCause() : e);
        } catch (TimeoutException e) {
            reply.cancel(false);
            throw recordFailure(command, new TimeoutException(
                    "timed out: no reply within " + timeout.toMillis() + " ms"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CacheStoreException(description + " " + command + " was interrupted", e);
        } catch (RuntimeException e) {
            throw recordFailure(command, e);
        } finally {
            observe(command, System.nanoTime() - started);
        }
    }

    /**
     * Returns {@code null} when the last command or connection attempt succeeded, otherwise a
     * description of the last failure. Starts a connection attempt when none exists.
     */
    String problem() {
        if (session == null) {
            startConnectIfDue();
        }
        String current = problem;
        if (current != null) {
            return current;
        }
        return session == null ? description + " is not connected yet" : null;
    }

    /** Closes the connection, if any; later commands fail with {@link CacheStoreException}. */
    @Override
    public void close() {
        Session current;
        synchronized (this) {
            closed = true;
            current = session;
            session = null;
        }
        if (current != null) {
            current.connection().close();
        }
    }

    private Session acquire() {
        Session current = session;
        if (current != null) {
            return current;
        }
        CompletableFuture<Session> attempt = startConnectIfDue();
        if (attempt != null) {
            try {
                return attempt.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new CacheStoreException(description + " is still connecting after "
                        + timeout.toMillis() + " ms");
            } catch (ExecutionException e) {
                throw new CacheStoreException(description + " is not connected: "
                        + describe(e.getCause() != null ? e.getCause() : e), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CacheStoreException(description + " connection wait was interrupted", e);
            }
        }
        String lastError;
        synchronized (this) {
            if (closed) {
                throw new CacheStoreException(description + " is closed");
            }
            lastError = lastConnectError;
        }
        throw new CacheStoreException(description + " is not connected: " + lastError
                + "; the store retries the connection at most once every "
                + CONNECT_RETRY_INTERVAL.toMillis() + " ms");
    }

    /**
     * Returns the running connection attempt, or starts one when none exists and the retry
     * interval has passed; returns {@code null} when no attempt is running.
     */
    private synchronized CompletableFuture<Session> startConnectIfDue() {
        if (closed || session != null) {
            return null;
        }
        if (pendingConnect != null) {
            return pendingConnect;
        }
        if (lastConnectError != null && System.nanoTime() - nextConnectNanos < 0) {
            return null;
        }
        CompletableFuture<Session> attempt = new CompletableFuture<>();
        pendingConnect = attempt;
        // The callback may run on this thread before the call returns; it only needs the
        // attempt object, which already exists, and re-enters this monitor safely.
        try {
            connector.get().whenComplete((opened, error) -> finishConnect(attempt, opened, error));
        } catch (RuntimeException e) {
            finishConnect(attempt, null, e);
        }
        return attempt;
    }

    private void finishConnect(CompletableFuture<Session> attempt, Session opened, Throwable error) {
        boolean closeOpened = false;
        synchronized (this) {
            if (pendingConnect == attempt) {
                pendingConnect = null;
            }
            if (error == null && closed) {
                closeOpened = true;
            } else if (error == null) {
                session = opened;
                lastConnectError = null;
            } else {
                lastConnectError = describe(error);
                nextConnectNanos = System.nanoTime() + CONNECT_RETRY_INTERVAL.toNanos();
            }
        }
        if (closeOpened) {
            opened.connection().closeAsync();
            attempt.completeExceptionally(new CacheStoreException(description + " is closed"));
        } else if (error == null) {
            recordSuccess();
            attempt.complete(opened);
        } else {
            recordFailure("connection", error);
            attempt.completeExceptionally(error);
        }
    }

    private void recordSuccess() {
        if (failing.get() && failing.compareAndSet(true, false)) {
            problem = null;
            log.info("{} recovered; the Redis tier is in use again", description);
        }
    }

    private CacheStoreException recordFailure(String command, Throwable error) {
        String message = description + " " + command + " failed: " + describe(error);
        problem = message;
        if (failing.compareAndSet(false, true)) {
            log.warn("Redis tier unavailable, so requests continue without it and further Redis"
                    + " failures are logged at DEBUG until a command succeeds: {}", message);
        } else {
            log.debug("{}", message);
        }
        return new CacheStoreException(message, error);
    }

    /**
     * Returns the messages of the error and its causes, without the password. Future wrappers are
     * skipped because their message only repeats the class and message of their cause.
     */
    private String describe(Throwable error) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = error; t != null && parts.size() < 4; t = t.getCause()) {
            if ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
                continue;
            }
            String part = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
            if (parts.isEmpty() || !parts.getLast().contains(part)) {
                parts.add(part);
            }
        }
        String text = String.join(": ", parts);
        if (password != null && !password.isEmpty()) {
            text = text.replace(password, "***");
        }
        return text;
    }

    private void observe(String command, long nanos) {
        try {
            observer.observe(command, nanos / 1e9);
        } catch (RuntimeException e) {
            log.debug("Redis latency observer failed for {}", command, e);
        }
    }
}
