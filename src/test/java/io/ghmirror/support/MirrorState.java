package io.ghmirror.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalDouble;

/** Reads a running mirror's state from its own endpoints, {@code /readyz} and {@code /metrics}. */
public final class MirrorState {

    private MirrorState() {}

    /** Returns the {@code /readyz} body. */
    public static String readyz(MirrorHarness mirror) {
        try {
            return new String(mirror.get("/readyz").body(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("GET /readyz on the mirror failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading /readyz", e);
        }
    }

    /** Returns whether {@code /readyz} reports the upstream offline. */
    public static boolean offline(MirrorHarness mirror) {
        return readyz(mirror).contains("\"offline\":true");
    }

    /** Returns the {@code /metrics} text. */
    public static String metrics(MirrorHarness mirror) {
        try {
            return mirror.metrics();
        } catch (IOException e) {
            throw new UncheckedIOException("GET /metrics on the mirror failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading /metrics", e);
        }
    }

    /**
     * Returns the value of one sample in Prometheus text, or empty when it is absent.
     *
     * @param series the metric name with its labels exactly as exposed, such as
     *     {@code github_mirror_offline{reason="circuit_breaker"}}
     */
    public static OptionalDouble sample(String metricsText, String series) {
        for (String line : metricsText.split("\n")) {
            if (line.startsWith(series + " ")) {
                return OptionalDouble.of(Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]));
            }
        }
        return OptionalDouble.empty();
    }
}
