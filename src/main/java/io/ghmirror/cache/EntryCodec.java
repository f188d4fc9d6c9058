package io.ghmirror.cache;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The one serialized form of an entry, shared by the disk and Redis stores.
 *
 * <p>Layout, big-endian: magic {@code GHME}, format version (1 byte), status (2 bytes), stored-at
 * epoch milliseconds (8 bytes), target, ETag and Last-Modified as length-prefixed UTF-8 strings
 * (length -1 for absent), header count (4 bytes) followed by name and value strings, body length
 * (4 bytes) and body bytes, then a CRC32C over everything before it (4 bytes). Java serialization
 * is never used, so a stored entry cannot instantiate classes when it is read.
 */
public final class EntryCodec {

    /** Current format version, written into every encoded entry. */
    public static final int VERSION = 1;

    private static final int MAGIC = 0x47484D45; // "GHME"
    private static final int MAX_HEADERS = 10_000;

    private EntryCodec() {}

    /** Encodes the entry into a new byte array. */
    public static byte[] encode(Entry entry) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(entry.body().length + 512);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeByte(VERSION);
            out.writeShort(entry.status());
            out.writeLong(entry.storedAtMillis());
            writeString(out, entry.target());
            writeString(out, entry.etag());
            writeString(out, entry.lastModified());
            out.writeInt(entry.headers().size());
            for (Header header : entry.headers()) {
                writeString(out, header.name());
                writeString(out, header.value());
            }
            out.writeInt(entry.body().length);
            out.write(entry.body());
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a byte array cannot fail", e);
        }
        byte[] withoutChecksum = bytes.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(withoutChecksum);
        ByteBuffer result = ByteBuffer.allocate(withoutChecksum.length + 4);
        result.put(withoutChecksum).putInt((int) crc.getValue());
        return result.array();
    }

    /**
     * Decodes bytes written by {@link #encode}.
     *
     * @throws CorruptEntryException when the bytes are truncated, fail the checksum, carry another
     *     format version or are otherwise not an encoded entry
     */
    public static Entry decode(byte[] data) {
        if (data == null || data.length < 4 + 1 + 2 + 8 + 4) {
            throw new CorruptEntryException("entry is too short to be valid");
        }
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 4);
        ByteBuffer buffer = ByteBuffer.wrap(data);
        int expectedChecksum = buffer.getInt(data.length - 4);
        if ((int) crc.getValue() != expectedChecksum) {
            throw new CorruptEntryException("entry checksum mismatch");
        }
        buffer.limit(data.length - 4);
        try {
            if (buffer.getInt() != MAGIC) {
                throw new CorruptEntryException("entry does not start with the GHME marker");
            }
            int version = buffer.get() & 0xFF;
            if (version != VERSION) {
                throw new CorruptEntryException("entry format version " + version + " is not supported");
            }
            int status = buffer.getShort() & 0xFFFF;
            long storedAt = buffer.getLong();
            String target = readString(buffer);
            String etag = readString(buffer);
            String lastModified = readString(buffer);
            int headerCount = buffer.getInt();
            if (headerCount < 0 || headerCount > MAX_HEADERS) {
                throw new CorruptEntryException("entry header count " + headerCount + " is out of range");
            }
            List<Header> headers = new ArrayList<>(headerCount);
            for (int i = 0; i < headerCount; i++) {
                headers.add(new Header(readString(buffer), readString(buffer)));
            }
            int bodyLength = buffer.getInt();
            if (bodyLength < 0 || bodyLength != buffer.remaining()) {
                throw new CorruptEntryException("entry body length " + bodyLength + " does not match the data");
            }
            byte[] body = new byte[bodyLength];
            buffer.get(body);
            if (target == null) {
                throw new CorruptEntryException("entry has no target");
            }
            return new Entry(target, status, headers, body, etag, lastModified, storedAt);
        } catch (BufferUnderflowException | IllegalArgumentException | NullPointerException e) {
            throw new CorruptEntryException("entry is malformed: " + e, e);
        }
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(ByteBuffer buffer) {
        int length = buffer.getInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > buffer.remaining()) {
            throw new CorruptEntryException("string length " + length + " is out of range");
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
