package io.ghmirror.upstream;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds each read of an upstream body by the upstream timeout. The JDK HTTP client applies its
 * request timeout only until the response headers arrive, so a server that stalls mid-body would
 * otherwise hold a request thread forever. A stalled read is interrupted: the client's body stream
 * blocks in an interruptible queue and turns the interrupt into an {@link IOException}.
 */
final class ReadTimeoutInputStream extends FilterInputStream {

    private static final int READING = 0;
    private static final int FIRED = 1;
    private static final int DONE = 2;

    private final ScheduledExecutorService scheduler;
    private final long timeoutNanos;

    ReadTimeoutInputStream(InputStream in, ScheduledExecutorService scheduler, Duration timeout) {
        super(in);
        this.scheduler = scheduler;
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int read = read(one, 0, 1);
        return read < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        Thread reader = Thread.currentThread();
        AtomicInteger state = new AtomicInteger(READING);
        ScheduledFuture<?> watchdog = scheduler.schedule(() -> {
            if (state.compareAndSet(READING, FIRED)) {
                reader.interrupt();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        try {
            return super.read(buffer, offset, length);
        } catch (IOException e) {
            if (state.get() == FIRED) {
                throw new UpstreamTimeoutIOException("no data from the upstream for " + Duration.ofNanos(timeoutNanos), e);
            }
            throw e;
        } finally {
            watchdog.cancel(false);
            if (!state.compareAndSet(READING, DONE)) {
                // The watchdog fired: its interrupt was ours, not a request to stop the thread.
                // It follows the state change at once, so wait for it (briefly: the stream may
                // already have consumed it) and clear it.
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                while (!Thread.interrupted() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
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
}
