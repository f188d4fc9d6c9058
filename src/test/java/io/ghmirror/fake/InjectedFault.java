package io.ghmirror.fake;

import java.util.concurrent.atomic.AtomicInteger;

/** Handle on a fault that {@link FakeGitHub#inject(Fault)} armed, for counting hits and cancelling it. */
public final class InjectedFault {

    private final Fault fault;
    private final AtomicInteger remaining;
    private final AtomicInteger fired = new AtomicInteger();
    private volatile boolean cancelled;

    InjectedFault(Fault fault) {
        this.fault = fault;
        this.remaining = new AtomicInteger(fault.times());
    }

    /** Returns the fault as injected. */
    public Fault fault() {
        return fault;
    }

    /** Returns how many requests the fault hit so far. */
    public int firedCount() {
        return fired.get();
    }

    /** Returns true when the fault will hit no more requests because it was used up or cancelled. */
    public boolean isDone() {
        return cancelled || (fault.times() != Fault.UNLIMITED && remaining.get() <= 0);
    }

    /** Stops the fault from hitting further requests. A request that it already hit is not affected. */
    public void cancel() {
        cancelled = true;
    }

    /** Claims one hit for a request on {@code apiPath} and returns whether the fault applies to it. */
    boolean tryClaim(String apiPath) {
        if (cancelled || !fault.matches(apiPath)) {
            return false;
        }
        if (fault.times() != Fault.UNLIMITED) {
            int left;
            do {
                left = remaining.get();
                if (left <= 0) {
                    return false;
                }
            } while (!remaining.compareAndSet(left, left - 1));
        }
        fired.incrementAndGet();
        return true;
    }

    @Override
    public String toString() {
        return fault + " fired " + fired.get();
    }
}
