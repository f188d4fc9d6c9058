package io.ghmirror.fake;

import java.util.List;

/** Minimal JSON writer for the fake's response bodies. Object members keep their insertion order. */
final class Json {

    private Json() {
    }

    /** Returns {@code value} as a JSON string literal, or {@code null} for a null value. */
    static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    static ObjectWriter object() {
        return new ObjectWriter();
    }

    /** Joins already serialized JSON values into an array. */
    static String array(List<String> elements) {
        return "[" + String.join(",", elements) + "]";
    }

    /** Builder of one JSON object. */
    static final class ObjectWriter {
        private final StringBuilder out = new StringBuilder("{");

        ObjectWriter string(String name, String value) {
            return raw(name, quote(value));
        }

        ObjectWriter number(String name, long value) {
            return raw(name, Long.toString(value));
        }

        ObjectWriter bool(String name, boolean value) {
            return raw(name, Boolean.toString(value));
        }

        ObjectWriter nullValue(String name) {
            return raw(name, "null");
        }

        /** Adds a member whose value is already serialized JSON. */
        ObjectWriter raw(String name, String json) {
            if (out.length() > 1) {
                out.append(',');
            }
            out.append(quote(name)).append(':').append(json);
            return this;
        }

        String build() {
            return out + "}";
        }
    }
}
