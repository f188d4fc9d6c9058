package io.ghmirror.mirror;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Lets concurrent identical requests share one upstream exchange. The first caller for a key (the
 * leader) runs the exchange on its own thread; callers arriving while it runs (followers) wait for
 * its result. A follower that gives up never affects the leader or the other followers.
 *
 * @param <T> the shared result type
 */
final class Coalescer<T> {

    private final ConcurrentHashMap<String, CompletableFuture<T>> inFlight = new ConcurrentHashMap<>();

    /** The result of {@link #execute}: the value and whether this caller waited for a leader. */
    record Shared<T>(T value, boolean follower) {}

    /**
     * Runs the exchange, or waits for the identical one already running.
     *
     * @param key identity of the exchange; equal keys must produce interchangeable results
     * @param maxWait how long a follower waits before giving up
     * @param exchange the work, run on the caller's thread when it is the leader
     * @throws TimeoutException when a follower waited longer than {@code maxWait}
     * @throws InterruptedException when a follower is interrupted while waiting
     */
    Shared<T> execute(String key, Duration maxWait, Supplier<T> exchange)
            throws TimeoutException, InterruptedException {
        CompletableFuture<T> mine = new CompletableFuture<>();
        CompletableFuture<T> running = inFlight.putIfAbsent(key, mine);
        if (running != null) {
            try {
                return new Shared<>(running.get(maxWait.toNanos(), TimeUnit.NANOSECONDS), true);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (cause instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException(cause);
            }
        }
        try {
            T value = exchange.get();
            mine.complete(value);
            return new Shared<>(value, false);
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }
}
