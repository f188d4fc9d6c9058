package io.ghmirror.http;

import io.ghmirror.cache.Header;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An ordered, mutable list of HTTP header fields with case-insensitive lookup. Repeated fields are
 * kept as separate entries in arrival order.
 */
public final class HeaderFields implements Iterable<Header> {

    /**
     * Hop-by-hop fields (RFC 9110 section 7.6.1) plus {@code Proxy-Connection}, which old clients
     * still send. A proxy consumes these on each connection and never forwards them.
     */
    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "trailers", "transfer-encoding", "upgrade", "http2-settings");

    private final List<Header> fields;

    public HeaderFields() {
        this.fields = new ArrayList<>();
    }

    public HeaderFields(List<Header> fields) {
        this.fields = new ArrayList<>(fields);
    }

    /** Returns a copy that can be changed without affecting this one. */
    public HeaderFields copy() {
        return new HeaderFields(fields);
    }

    /** Appends a field, keeping any existing fields of the same name. */
    public HeaderFields add(String name, String value) {
        fields.add(new Header(name, value));
        return this;
    }

    /** Replaces every field of the name with one field holding the value. */
    public HeaderFields set(String name, String value) {
        int index = indexOf(name);
        remove(name);
        Header header = new Header(name, value);
        if (index >= 0 && index <= fields.size()) {
            fields.add(index, header);
        } else {
            fields.add(header);
        }
        return this;
    }

    /** Removes every field of the name. */
    public HeaderFields remove(String name) {
        fields.removeIf(header -> header.name().equalsIgnoreCase(name));
        return this;
    }

    /** Removes every field the predicate accepts. */
    public HeaderFields removeIf(Predicate<Header> predicate) {
        fields.removeIf(predicate);
        return this;
    }

    /** Returns the first value of the named field. */
    public Optional<String> first(String name) {
        for (Header header : fields) {
            if (header.name().equalsIgnoreCase(name)) {
                return Optional.of(header.value());
            }
        }
        return Optional.empty();
    }

    /** Returns all values of the named field in order. */
    public List<String> all(String name) {
        List<String> values = new ArrayList<>();
        for (Header header : fields) {
            if (header.name().equalsIgnoreCase(name)) {
                values.add(header.value());
            }
        }
        return values;
    }

    /** Returns whether at least one field of the name is present. */
    public boolean contains(String name) {
        return indexOf(name) >= 0;
    }

    /** Returns whether the named field lists the token, as in {@code Cache-Control: private, no-store}. */
    public boolean containsToken(String name, String token) {
        for (String value : all(name)) {
            for (String part : value.split(",")) {
                String element = part.trim();
                int equals = element.indexOf('=');
                String directive = equals < 0 ? element : element.substring(0, equals).trim();
                if (directive.equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Removes hop-by-hop fields, including any field that a {@code Connection} header names, as a
     * proxy must before forwarding a message (RFC 9110 section 7.6.1).
     */
    public HeaderFields removeHopByHop() {
        List<String> named = new ArrayList<>();
        for (String value : all("Connection")) {
            for (String token : value.split(",")) {
                if (!token.isBlank()) {
                    named.add(token.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        fields.removeIf(header -> {
            String name = header.name().toLowerCase(Locale.ROOT);
            return HOP_BY_HOP.contains(name) || named.contains(name);
        });
        return this;
    }

    /** Returns the fields as an immutable list. */
    public List<Header> toList() {
        return List.copyOf(fields);
    }

    public int size() {
        return fields.size();
    }

    @Override
    public Iterator<Header> iterator() {
        return toList().iterator();
    }

    private int indexOf(String name) {
        for (int i = 0; i < fields.size(); i++) {
            if (fields.get(i).name().equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Header header : fields) {
            String value = header.name().equalsIgnoreCase("authorization")
                            || header.name().equalsIgnoreCase("cookie")
                            || header.name().equalsIgnoreCase("x-github-otp")
                    ? "<redacted>"
                    : header.value();
            text.append(header.name()).append(": ").append(value).append('\n');
        }
        return text.toString();
    }
}
