package io.ghmirror.mirror;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;

/**
 * Checks a raw request target before anything is sent upstream. The upstream URL is always the
 * configured base followed by the raw target, so no target can change the host; these checks keep
 * a target from escaping the API path (a {@code ..} segment would climb out of {@code /api/v3} on
 * GitHub Enterprise Server) and reject bytes that are not valid in a URI.
 */
public final class RequestTargets {

    /** Rounds of percent-decoding checked for hidden dot segments. */
    private static final int MAX_DECODE_ROUNDS = 3;

    private RequestTargets() {}

    /**
     * Returns why the target is rejected, or {@code null} when it may be forwarded.
     *
     * @param rawPath the path as received, percent-encoding intact
     * @param rawQuery the query as received, or {@code null}
     */
    public static String problem(String rawPath, String rawQuery) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return "The request target must be an absolute path starting with '/'.";
        }
        String pathProblem = invalidCharacters(rawPath, false);
        if (pathProblem != null) {
            return "The request path " + pathProblem;
        }
        if (rawQuery != null) {
            String queryProblem = invalidCharacters(rawQuery, true);
            if (queryProblem != null) {
                return "The query string " + queryProblem;
            }
        }
        if (hidesDotSegment(rawPath)) {
            return "The request path contains a '.' or '..' segment, which could leave the API path. "
                    + "Send the normalized path instead.";
        }
        return null;
    }

    /**
     * Returns whether any decoding a server behind the upstream might apply turns the path into one
     * with a {@code .} or {@code ..} segment. Checked after each of up to {@link #MAX_DECODE_ROUNDS}
     * rounds of percent-decoding (so {@code %2e%2e}, {@code %252e%252e} and {@code ..%2f} count),
     * with backslashes read as slashes, path parameters ({@code ..;x}) dropped, and Unicode
     * look-alikes such as U+2025 (two dot leader) and U+FF0E (fullwidth full stop) folded by NFKC.
     * A path that still decodes further after the last round is treated as hiding one.
     */
    private static boolean hidesDotSegment(String rawPath) {
        String current = rawPath;
        for (int round = 0; round <= MAX_DECODE_ROUNDS; round++) {
            String folded = Normalizer.normalize(current, Normalizer.Form.NFKC).replace('\\', '/');
            for (String segment : folded.split("/", -1)) {
                int parameters = segment.indexOf(';');
                String name = parameters < 0 ? segment : segment.substring(0, parameters);
                if (name.equals(".") || name.equals("..")) {
                    return true;
                }
            }
            String decoded = percentDecode(current);
            if (decoded.equals(current)) {
                return false;
            }
            current = decoded;
        }
        return true;
    }

    /** Decodes well-formed percent-escapes as UTF-8, keeping malformed ones as they are. */
    private static String percentDecode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length() && isHex(text.charAt(i + 1)) && isHex(text.charAt(i + 2))) {
                bytes.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * Checks that every byte is allowed in a URI path or query (RFC 3986, plus '[' and ']' in
     * queries, which GitHub clients send unencoded) and that percent-escapes are well formed.
     */
    private static String invalidCharacters(String text, boolean query) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                if (i + 2 >= text.length() || !isHex(text.charAt(i + 1)) || !isHex(text.charAt(i + 2))) {
                    return "contains an invalid percent-encoding at position " + i + ". Encode '%' as %25.";
                }
                continue;
            }
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0
                    || (query && "?[]".indexOf(c) >= 0);
            if (!allowed) {
                return "contains the character " + describe(c) + " at position " + i
                        + ", which is not valid in a URL. Percent-encode it.";
            }
        }
        return null;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static String describe(char c) {
        if (c < 0x20 || c == 0x7f || c > 0x7e) {
            return String.format("U+%04X", (int) c);
        }
        return "'" + c + "'";
    }
}
