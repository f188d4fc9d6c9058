package io.ghmirror.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReadTimeoutInputStreamTest {

    private final ReadTimeoutInputStream.Sweeper sweeper = new ReadTimeoutInputStream.Sweeper(Duration.ofMillis(20));

    @AfterEach
    void stopSweeper() {
        sweeper.close();
    }

    /** A body stream that blocks like the JDK client's: an interruptible queue, interrupts become IOExceptions. */
    private static final class QueueStream extends InputStream {
        final LinkedBlockingQueue<Integer> bytes = new LinkedBlockingQueue<>();

        @Override
        public int read() throws IOException {
            try {
                return bytes.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
    }

    @Test
    void stalledReadTimesOut() {
        ReadTimeoutInputStream stream = new ReadTimeoutInputStream(new QueueStream(), sweeper, Duration.ofMillis(100));

        assertThatThrownBy(stream::read).isInstanceOf(UpstreamTimeoutIOException.class);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void flowingReadsAreNotInterrupted() throws Exception {
        QueueStream source = new QueueStream();
        ReadTimeoutInputStream stream = new ReadTimeoutInputStream(source, sweeper, Duration.ofMillis(100));

        for (int i = 0; i < 20; i++) {
            source.bytes.add(i);
            assertThat(stream.read()).isEqualTo(i);
        }
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void idleStreamBetweenReadsIsNotInterrupted() throws Exception {
        QueueStream source = new QueueStream();
        ReadTimeoutInputStream stream = new ReadTimeoutInputStream(source, sweeper, Duration.ofMillis(50));
        source.bytes.add(7);
        assertThat(stream.read()).isEqualTo(7);

        // No read in progress for several timeout periods: the sweeper must leave the thread alone.
        long until = System.nanoTime() + Duration.ofMillis(200).toNanos();
        while (System.nanoTime() < until) {
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            Thread.onSpinWait();
        }
        source.bytes.add(8);
        assertThat(stream.read()).isEqualTo(8);
    }
}
