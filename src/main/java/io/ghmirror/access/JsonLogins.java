package io.ghmirror.access;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code login} members out of GitHub's {@code /user} object and {@code /user/orgs}
 * array. A small strict JSON reader, because the project has no JSON library and needs only these
 * two shapes. Anything that is not valid JSON is rejected rather than guessed at.
 */
final class JsonLogins {

    /** Deepest nesting accepted, so a hostile body cannot exhaust the stack. */
    private static final int MAX_DEPTH = 64;

    private final String text;
    private final int loginDepth;
    private final List<String> logins = new ArrayList<>();
    private int position;

    private JsonLogins(byte[] json, int loginDepth) {
        this.text = new String(json, StandardCharsets.UTF_8);
        this.loginDepth = loginDepth;
    }

    /**
     * Returns the {@code login} member of a top-level JSON object, or {@code null} when it has none.
     *
     * @throws IllegalArgumentException when the body is not a JSON object
     */
    static String ofObject(byte[] json) {
        JsonLogins reader = new JsonLogins(json, 1);
        reader.skipWhitespace();
        if (reader.peek() != '{') {
            throw new IllegalArgumentException("expected a JSON object");
        }
        reader.readDocument();
        return reader.logins.isEmpty() ? null : reader.logins.get(0);
    }

    /**
     * Returns the {@code login} members of the objects in a top-level JSON array, in order.
     *
     * @throws IllegalArgumentException when the body is not a JSON array
     */
    static List<String> ofArray(byte[] json) {
        JsonLogins reader = new JsonLogins(json, 2);
        reader.skipWhitespace();
        if (reader.peek() != '[') {
            throw new IllegalArgumentException("expected a JSON array");
        }
        reader.readDocument();
        return List.copyOf(reader.logins);
    }

    private void readDocument() {
        readValue(0);
        skipWhitespace();
        if (position != text.length()) {
            throw error("unexpected content after the JSON value");
        }
    }

    /** Reads one value; {@code depth} is the number of enclosing objects and arrays. */
    private void readValue(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("JSON nested deeper than " + MAX_DEPTH + " levels");
        }
        skipWhitespace();
        char c = peek();
        switch (c) {
            case '{' -> readObject(depth + 1);
            case '[' -> readArray(depth + 1);
            case '"' -> readString();
            case 't' -> expectLiteral("true");
            case 'f' -> expectLiteral("false");
            case 'n' -> expectLiteral("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    readNumber();
                } else {
                    throw error("unexpected character '" + c + "'");
                }
            }
        }
    }

    private void readObject(int depth) {
        position++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            position++;
            return;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a member name");
            }
            String name = readString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            if (depth == loginDepth && name.equals("login") && peek() == '"') {
                logins.add(readString());
            } else {
                readValue(depth);
            }
            skipWhitespace();
            char next = next();
            if (next == '}') {
                return;
            }
            if (next != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private void readArray(int depth) {
        position++; // '['
        skipWhitespace();
        if (peek() == ']') {
            position++;
            return;
        }
        while (true) {
            readValue(depth);
            skipWhitespace();
            char next = next();
            if (next == ']') {
                return;
            }
            if (next != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String readString() {
        position++; // opening quote
        StringBuilder value = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return value.toString();
            }
            if (c < 0x20) {
                throw error("control character in a string");
            }
            if (c != '\\') {
                value.append(c);
                continue;
            }
            char escaped = next();
            switch (escaped) {
                case '"', '\\', '/' -> value.append(escaped);
                case 'b' -> value.append('\b');
                case 'f' -> value.append('\f');
                case 'n' -> value.append('\n');
                case 'r' -> value.append('\r');
                case 't' -> value.append('\t');
                case 'u' -> {
                    if (position + 4 > text.length()) {
                        throw error("truncated \\u escape");
                    }
                    try {
                        value.append((char) Integer.parseInt(text.substring(position, position + 4), 16));
                    } catch (NumberFormatException e) {
                        throw error("invalid \\u escape");
                    }
                    position += 4;
                }
                default -> throw error("invalid escape '\\" + escaped + "'");
            }
        }
    }

    private void readNumber() {
        int start = position;
        while (position < text.length() && "+-0123456789.eE".indexOf(text.charAt(position)) >= 0) {
            position++;
        }
        try {
            Double.parseDouble(text.substring(start, position));
        } catch (NumberFormatException e) {
            throw error("invalid number");
        }
    }

    private void expectLiteral(String literal) {
        if (!text.startsWith(literal, position)) {
            throw error("expected " + literal);
        }
        position += literal.length();
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected '" + c + "'");
        }
    }

    private char peek() {
        if (position >= text.length()) {
            throw error("unexpected end of JSON");
        }
        return text.charAt(position);
    }

    private char next() {
        char c = peek();
        position++;
        return c;
    }

    private void skipWhitespace() {
        while (position < text.length() && " \t\r\n".indexOf(text.charAt(position)) >= 0) {
            position++;
        }
    }

    private IllegalArgumentException error(String problem) {
        return new IllegalArgumentException(problem + " at offset " + position);
    }
}
