package io.ghmirror.fake;

import java.util.Locale;

/** Parsing of {@code Authorization} header values. */
final class Credentials {

    private Credentials() {
    }

    /**
     * Returns the token of a {@code token T} or {@code Bearer T} value, the whole value for any other scheme, or null
     * for a null value.
     */
    static String tokenOf(String authorization) {
        if (authorization == null) {
            return null;
        }
        String trimmed = authorization.trim();
        int space = trimmed.indexOf(' ');
        if (space > 0) {
            String scheme = trimmed.substring(0, space).toLowerCase(Locale.ROOT);
            if (scheme.equals("token") || scheme.equals("bearer")) {
                return trimmed.substring(space + 1).trim();
            }
        }
        return trimmed;
    }
}
