package io.ghmirror.fake;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Thread-safe list of recorded requests that tests can wait on. */
final class RequestLog {

    private final List<RecordedRequest> requests = new ArrayList<>();

    synchronized void add(RecordedRequest request) {
        requests.add(request);
        notifyAll();
    }

    synchronized List<RecordedRequest> snapshot() {
        return List.copyOf(requests);
    }

    synchronized int size() {
        return requests.size();
    }

    synchronized void clear() {
        requests.clear();
    }

    /** Waits until the log contains at least {@code count} requests and returns whether it did before the timeout. */
    synchronized boolean await(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (requests.size() < count) {
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                return false;
            }
            long millis = Math.max(1, remainingNanos / 1_000_000);
            wait(millis);
        }
        return true;
    }
}
