package io.ghmirror.cache;

import java.util.Objects;

/** One response header field as stored in an entry, name and value exactly as received. */
public record Header(String name, String value) {

    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }
}
