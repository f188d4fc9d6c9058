package io.ghmirror.mirror;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Replaces absolute upstream URLs with the mirror's public URL, so that a client following a
 * {@code next} link, a {@code Location} or a {@code url} field in a JSON body stays on the mirror.
 *
 * <p>A match must end at a URL boundary: {@code https://api.github.com.example.org} is another host
 * and is left alone. Only JSON bodies are rewritten; raw files and binaries pass unchanged.
 */
public final class UrlRewriter {

    private final byte[] upstream;

    /** @param upstreamBase the upstream base URL without a trailing slash */
    public UrlRewriter(String upstreamBase) {
        this.upstream = upstreamBase.getBytes(StandardCharsets.US_ASCII);
    }

    /** Returns whether a body of this content type is JSON and therefore rewritten. */
    public static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return mediaType.equals("application/json") || mediaType.endsWith("+json");
    }

    /** Returns the header value with upstream URLs replaced. */
    public String rewrite(String value, String publicBase) {
        if (value.indexOf(':') < 0) {
            return value;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        byte[] rewritten = rewrite(bytes, publicBase);
        return rewritten == bytes ? value : new String(rewritten, StandardCharsets.UTF_8);
    }

    /** Returns the body with upstream URLs replaced, or the same array when nothing matched. */
    public byte[] rewrite(byte[] body, String publicBase) {
        int first = indexOf(body, 0, body.length, true);
        if (first < 0) {
            return body;
        }
        byte[] replacement = publicBase.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 256);
        int position = 0;
        int match = first;
        while (match >= 0) {
            out.write(body, position, match - position);
            out.write(replacement, 0, replacement.length);
            position = match + upstream.length;
            match = indexOf(body, position, body.length, true);
        }
        out.write(body, position, body.length - position);
        return out.toByteArray();
    }

    /** Returns a stream that rewrites the given body stream as it is read. */
    public InputStream rewrite(InputStream body, String publicBase) {
        return new RewritingInputStream(body, publicBase.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Finds the next match starting in [from, end). With {@code atEnd} false, a match whose
     * boundary byte lies past {@code end} is not reported, because more data may follow.
     */
    private int indexOf(byte[] data, int from, int end, boolean atEnd) {
        int last = end - upstream.length;
        outer:
        for (int i = from; i <= last; i++) {
            for (int j = 0; j < upstream.length; j++) {
                if (data[i + j] != upstream[j]) {
                    continue outer;
                }
            }
            int after = i + upstream.length;
            if (after == end) {
                if (atEnd) {
                    return i;
                }
                return -1;
            }
            if (isBoundary(data[after])) {
                return i;
            }
        }
        return -1;
    }

    /** Returns whether the byte ends a URL prefix: it cannot continue a host name, port or path segment. */
    private static boolean isBoundary(byte next) {
        boolean continuesName = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z')
                || (next >= '0' && next <= '9') || next == '.' || next == '-' || next == '_' || next == '~'
                || next == ':' || next == '@' || next == '%';
        return !continuesName;
    }

    /** Rewrites a stream chunk by chunk, holding back a tail that could be the start of a match. */
    private final class RewritingInputStream extends InputStream {
        private final InputStream in;
        private final byte[] replacement;
        private byte[] pending = new byte[0];
        private int pendingOffset;
        private byte[] window = new byte[0];
        private boolean eof;

        RewritingInputStream(InputStream in, byte[] replacement) {
            this.in = in;
            this.replacement = replacement;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int read = read(one, 0, 1);
            return read < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            while (pendingOffset >= pending.length) {
                if (!fill()) {
                    return -1;
                }
            }
            int count = Math.min(length, pending.length - pendingOffset);
            System.arraycopy(pending, pendingOffset, buffer, offset, count);
            pendingOffset += count;
            return count;
        }

        /** Reads more input and moves what can be decided into {@code pending}; false at the end. */
        private boolean fill() throws IOException {
            if (eof && window.length == 0) {
                return false;
            }
            if (!eof) {
                byte[] chunk = in.readNBytes(16384);
                if (chunk.length == 0) {
                    eof = true;
                }
                byte[] joined = new byte[window.length + chunk.length];
                System.arraycopy(window, 0, joined, 0, window.length);
                System.arraycopy(chunk, 0, joined, window.length, chunk.length);
                window = joined;
            }
            // Everything before the last (pattern length) bytes can be decided now; at the end, all.
            int decidable = eof ? window.length : Math.max(0, window.length - upstream.length);
            ByteArrayOutputStream out = new ByteArrayOutputStream(decidable + 64);
            int position = 0;
            while (true) {
                int match = indexOf(window, position, window.length, eof);
                if (match < 0 || match >= decidable) {
                    break;
                }
                out.write(window, position, match - position);
                out.write(replacement, 0, replacement.length);
                position = match + upstream.length;
            }
            int keepFrom = Math.max(position, decidable);
            out.write(window, position, keepFrom - position);
            byte[] rest = new byte[window.length - keepFrom];
            System.arraycopy(window, keepFrom, rest, 0, rest.length);
            window = rest;
            pending = out.toByteArray();
            pendingOffset = 0;
            return pending.length > 0 || !(eof && window.length == 0);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
