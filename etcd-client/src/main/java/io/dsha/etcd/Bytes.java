package io.dsha.etcd;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * An immutable byte string: an etcd key or value. etcd keys and values are bytes; most of ours are UTF-8 text, hence
 * {@link #of(String)} and {@link #utf8()}. Equal by content.
 */
public final class Bytes implements Comparable<Bytes> {

    public static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] bytes;

    private Bytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The UTF-8 encoding of {@code text}. */
    public static Bytes of(String text) {
        return new Bytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of {@code bytes}. */
    public static Bytes of(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Bytes(bytes.clone());
    }

    /** Decodes standard base64 (the gateway's encoding of bytes); null or "" is {@link #EMPTY}. */
    public static Bytes fromBase64(String base64) {
        return base64 == null || base64.isEmpty() ? EMPTY : new Bytes(Base64.getDecoder().decode(base64));
    }

    public String base64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** The bytes read as UTF-8. */
    public String utf8() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A copy of the bytes. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /**
     * The end of the range of every key that starts with this prefix (etcd's {@code range_end}): the prefix with its
     * last byte that is not 0xff incremented and what follows it dropped. For an empty prefix, or one of 0xff bytes
     * only, it is the single byte 0, which etcd reads as "every key from the start key on".
     */
    public Bytes prefixEnd() {
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(bytes, i + 1);
                end[i]++;
                return new Bytes(end);
            }
        }
        return new Bytes(new byte[] {0});
    }

    /** Whether these bytes begin with {@code prefix}. */
    public boolean startsWith(Bytes prefix) {
        return prefix.bytes.length <= bytes.length
                && Arrays.equals(bytes, 0, prefix.bytes.length, prefix.bytes, 0, prefix.bytes.length);
    }

    @Override
    public int compareTo(Bytes o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The UTF-8 text where the bytes are printable text, their base64 (prefixed "base64:") otherwise. */
    @Override
    public String toString() {
        for (byte b : bytes) {
            if ((b & 0xff) < 0x20 && b != '\t' || b == 0x7f) {
                return "base64:" + base64();
            }
        }
        String text = utf8();
        return Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes) ? text : "base64:" + base64();
    }
}
