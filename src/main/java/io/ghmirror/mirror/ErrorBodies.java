package io.ghmirror.mirror;

import java.nio.charset.StandardCharsets;

/** GitHub-shaped JSON error bodies, so client libraries show the message as they do GitHub's own. */
public final class ErrorBodies {

    /** The help page that the mirror's error bodies link to. */
    public static final String DOCUMENTATION_URL =
            "https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api";

    private ErrorBodies() {}

    /** Returns {@code {"message": ..., "documentation_url": ...}} as UTF-8 JSON. */
    public static byte[] json(String message) {
        return ("{\"message\":\"" + escape(message) + "\",\"documentation_url\":\"" + DOCUMENTATION_URL + "\"}\n")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Returns the text escaped for use inside a JSON string. */
    public static String escape(String text) {
        StringBuilder escaped = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> escaped.append("\\\"");
                case '\\' -> escaped.append("\\\\");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                default -> {
                    if (c < 0x20) {
                        escaped.append(String.format("\\u%04x", (int) c));
                    } else {
                        escaped.append(c);
                    }
                }
            }
        }
        return escaped.toString();
    }
}
