package io.ghmirror.server;

/** Supplies the body and content type of {@code /metrics}. */
public interface MetricsEndpoint {

    byte[] scrape();

    String contentType();
}
