package io.ghmirror.fake;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP request as the fake received it on the wire.
 *
 * <p>Header names are looked up case-insensitively, and a header sent on several lines keeps one value per line.
 */
public final class RecordedRequest {

    private final String method;
    private final String target;
    private final Map<String, List<String>> headers;
    private final byte[] body;
    private final Instant time;

    RecordedRequest(String method, String target, Map<String, List<String>> headers, byte[] body, Instant time) {
        this.method = method;
        this.target = target;
        TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> copy.computeIfAbsent(name, key -> new ArrayList<>()).addAll(values));
        copy.replaceAll((name, values) -> List.copyOf(values));
        this.headers = Collections.unmodifiableMap(copy);
        this.body = body.clone();
        this.time = time;
    }

    /** Returns the request method, such as {@code GET}. */
    public String method() {
        return method;
    }

    /** Returns the request-target exactly as sent: the raw path, including any API prefix, and the raw query. */
    public String target() {
        return target;
    }

    /** Returns the raw path of {@link #target()}, without the query. */
    public String path() {
        int question = target.indexOf('?');
        return question < 0 ? target : target.substring(0, question);
    }

    /** Returns the raw query of {@link #target()} without the {@code ?}, or null when the target has none. */
    public String query() {
        int question = target.indexOf('?');
        return question < 0 ? null : target.substring(question + 1);
    }

    /** Returns all headers, keyed case-insensitively by name. */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /** Returns the first value of the header, or null when the request did not send it. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Returns every value of the header in the order received, or an empty list. */
    public List<String> headerValues(String name) {
        return headers.getOrDefault(name, List.of());
    }

    /** Returns a copy of the request body, which is empty when the request had none. */
    public byte[] body() {
        return body.clone();
    }

    /** Returns the request body decoded as UTF-8. */
    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Returns when the fake finished reading the request body. */
    public Instant time() {
        return time;
    }

    @Override
    public String toString() {
        return method + " " + target;
    }
}
