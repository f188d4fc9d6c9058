package io.ghmirror.upstream;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds each read of an upstream body by the upstream timeout. The JDK HTTP client applies its
 * request timeout only until the response headers arrive, so a server that stalls mid-body would
 * otherwise hold a request thread forever. A stalled read is interrupted: the client's body stream
 * blocks in an interruptible queue and turns the interrupt into an {@link IOException}.
 *
 * <p>A read costs two volatile writes: one {@link Sweeper} thread checks the streams being read
 * a few times per timeout period, instead of scheduling and cancelling a timer task per read.
 */
final class ReadTimeoutInputStream extends FilterInputStream {

    private static final int IDLE = 0;
    private static final int READING = 1;
    private static final int FIRED = 2;

    private final Sweeper sweeper;
    private final long timeoutNanos;
    private final AtomicInteger state = new AtomicInteger(IDLE);
    private volatile Thread reader;
    private volatile long readStartedNanos;

    ReadTimeoutInputStream(InputStream in, Sweeper sweeper, Duration timeout) {
        super(in);
        this.sweeper = sweeper;
        this.timeoutNanos = timeout.toNanos();
        sweeper.register(this);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int read = read(one, 0, 1);
        return read < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        reader = Thread.currentThread();
        readStartedNanos = System.nanoTime();
        state.set(READING);
        try {
            return super.read(buffer, offset, length);
        } catch (IOException e) {
            if (state.get() == FIRED) {
                throw new UpstreamTimeoutIOException("no data from the upstream for " + Duration.ofNanos(timeoutNanos), e);
            }
            throw e;
        } finally {
            if (!state.compareAndSet(READING, IDLE)) {
                // The sweeper fired: its interrupt was ours, not a request to stop the thread. It
                // follows the state change at once, so wait for it (briefly: the stream may already
                // have consumed it) and clear it.
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                while (!Thread.interrupted() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                state.set(IDLE);
            }
        }
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] sink = new byte[(int) Math.min(8192, Math.max(0, n))];
        long skipped = 0;
        while (skipped < n) {
            int read = read(sink, 0, (int) Math.min(sink.length, n - skipped));
            if (read < 0) {
                break;
            }
            skipped += read;
        }
        return skipped;
    }

    @Override
    public void close() throws IOException {
        sweeper.unregister(this);
        super.close();
    }

    /** Interrupts the read when it has waited longer than the timeout; called by the sweeper. */
    private void interruptIfStalled(long now) {
        Thread thread = reader;
        if (state.get() == READING && now - readStartedNanos > timeoutNanos && thread != null
                && state.compareAndSet(READING, FIRED)) {
            thread.interrupt();
        }
    }

    /** One daemon thread that checks every open upstream body stream for a stalled read. */
    static final class Sweeper implements AutoCloseable {
        private final Set<ReadTimeoutInputStream> streams = ConcurrentHashMap.newKeySet();
        private final Thread thread;
        private volatile boolean running = true;

        /** Starts checking every {@code interval}, a fraction of the timeout. */
        Sweeper(Duration interval) {
            long intervalMillis = Math.max(10, interval.toMillis());
            thread = Thread.ofPlatform().daemon().name("upstream-read-timeouts").unstarted(() -> {
                while (running) {
                    long now = System.nanoTime();
                    for (ReadTimeoutInputStream stream : streams) {
                        stream.interruptIfStalled(now);
                    }
                    try {
                        Thread.sleep(intervalMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            thread.start();
        }

        void register(ReadTimeoutInputStream stream) {
            streams.add(stream);
        }

        void unregister(ReadTimeoutInputStream stream) {
            streams.remove(stream);
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }
}
