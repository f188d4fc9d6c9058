package io.ghmirror.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition with a deadline, for state that tests cannot wait on with a latch. */
public final class Conditions {

    private static final long POLL_MILLIS = 20;

    private Conditions() {}

    /**
     * Returns once the condition is true.
     *
     * @throws AssertionError when it is still false after the timeout
     */
    public static void await(String description, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Timed out after " + timeout + " waiting until " + description);
            }
            pause();
        }
    }

    /**
     * Checks the condition repeatedly for the whole duration.
     *
     * @throws AssertionError at the first check that finds it false
     */
    public static void holds(String description, Duration duration, BooleanSupplier condition) {
        long end = System.nanoTime() + duration.toNanos();
        do {
            if (!condition.getAsBoolean()) {
                throw new AssertionError("Expected " + description + " to hold for " + duration + ", but it did not");
            }
            pause();
        } while (System.nanoTime() - end < 0);
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while polling a condition", e);
        }
    }
}
