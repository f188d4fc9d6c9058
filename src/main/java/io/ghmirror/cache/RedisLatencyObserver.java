package io.ghmirror.cache;

/**
 * Receives the duration of every Redis command that {@link RedisStore} sends, for example to feed
 * a latency histogram.
 *
 * <p>Called on the request thread right after the command completes, fails or times out, so an
 * implementation must be fast and thread-safe. An exception it throws is logged at DEBUG and
 * otherwise ignored.
 */
@FunctionalInterface
public interface RedisLatencyObserver {

    /** Observer that does nothing, used when no observer is given. */
    RedisLatencyObserver NONE = (command, seconds) -> {};

    /**
     * Records one command.
     *
     * @param command the Redis command name in upper case, such as {@code GET}, {@code SET}, {@code
     *     DEL}, {@code SCAN} or {@code MGET}
     * @param seconds the wall-clock time from sending the command to its reply or failure
     */
    void observe(String command, double seconds);
}
