package io.dsha.proxy.passthrough;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the server name (SNI) out of the first bytes a TLS client sends, without consuming or
 * changing them. The ClientHello may arrive in any number of TCP segments and, rarely, span
 * several TLS records; {@link #parse} is called again with everything received so far until it
 * says {@link Kind#COMPLETE} (or that the bytes are not a ClientHello at all).
 *
 * <p>RFC 8446 §4.1.2 and RFC 6066 §3: record header (type 22, version 3.x, length), handshake
 * header (type 1, 24-bit length), legacy version, random, session id, cipher suites, compression
 * methods, then extensions, of which {@code server_name} (type 0) holds a list of host names.
 */
public final class ClientHello {

    /** What the bytes so far say. */
    public enum Kind {
        /** Not enough bytes yet. */
        NEED_MORE,
        /** The first bytes are not a TLS handshake record (plain HTTP on a TLS port, say). */
        NOT_TLS,
        /** A TLS handshake that is not a well-formed ClientHello. */
        MALFORMED,
        /** A whole ClientHello: {@link Result#serverName()} is its SNI, or null when it has none. */
        COMPLETE
    }

    /** The outcome; {@code serverName} is lower-cased, without a trailing dot. */
    public record Result(Kind kind, String serverName, String problem) {
        static final Result NEED_MORE = new Result(Kind.NEED_MORE, null, null);

        static Result malformed(String problem) {
            return new Result(Kind.MALFORMED, null, problem);
        }
    }

    private static final int RECORD_HEADER = 5;
    private static final int HANDSHAKE = 22;
    private static final int CLIENT_HELLO = 1;
    private static final int MAX_RECORD = 16384 + 2048;
    private static final int SERVER_NAME = 0;
    private static final int HOST_NAME = 0;

    private ClientHello() {
    }

    /** Parses {@code data[0, length)}: everything the client has sent so far. */
    public static Result parse(byte[] data, int length) {
        if (length >= 1 && (data[0] & 0xff) != HANDSHAKE) {
            return new Result(Kind.NOT_TLS, null, "first byte " + (data[0] & 0xff) + " is not a TLS handshake record");
        }
        if (length >= 2 && (data[1] & 0xff) != 3) {
            return new Result(Kind.NOT_TLS, null, "record version " + (data[1] & 0xff) + "." + (length > 2 ? data[2] & 0xff : 0) + " is not TLS");
        }
        // Gather the handshake message from as many records as it takes.
        ByteArrayOutputStream handshake = null;
        byte[] single = null;
        int singleOffset = 0;
        int singleLength = 0;
        int i = 0;
        while (true) {
            if (length - i < RECORD_HEADER) {
                return Result.NEED_MORE;
            }
            if ((data[i] & 0xff) != HANDSHAKE) {
                return Result.malformed("record of type " + (data[i] & 0xff) + " inside the ClientHello");
            }
            int recordLength = u16(data, i + 3);
            if (recordLength == 0 || recordLength > MAX_RECORD) {
                return Result.malformed("record length " + recordLength);
            }
            if (length - i - RECORD_HEADER < recordLength) {
                return Result.NEED_MORE;
            }
            int fragment = i + RECORD_HEADER;
            i = fragment + recordLength;
            if (single == null && handshake == null) {
                single = data;
                singleOffset = fragment;
                singleLength = recordLength;
            } else {
                if (handshake == null) {
                    handshake = new ByteArrayOutputStream();
                    handshake.write(single, singleOffset, singleLength);
                }
                handshake.write(data, fragment, recordLength);
            }
            byte[] h = handshake == null ? single : handshake.toByteArray();
            int off = handshake == null ? singleOffset : 0;
            int have = handshake == null ? singleLength : h.length;
            if (have < 4) {
                continue;
            }
            if ((h[off] & 0xff) != CLIENT_HELLO) {
                return Result.malformed("handshake message of type " + (h[off] & 0xff) + ", not a ClientHello");
            }
            int bodyLength = ((h[off + 1] & 0xff) << 16) | u16(h, off + 2);
            if (have - 4 >= bodyLength) {
                return body(h, off + 4, bodyLength);
            }
        }
    }

    private static Result body(byte[] h, int start, int length) {
        int end = start + length;
        int p = start + 2 + 32; // legacy_version, random
        if (p + 1 > end) {
            return Result.malformed("ClientHello too short");
        }
        p += 1 + (h[p] & 0xff); // legacy_session_id
        if (p + 2 > end) {
            return Result.malformed("ClientHello ends before its cipher suites");
        }
        p += 2 + u16(h, p); // cipher_suites
        if (p + 1 > end) {
            return Result.malformed("ClientHello ends before its compression methods");
        }
        p += 1 + (h[p] & 0xff); // legacy_compression_methods
        if (p > end) {
            return Result.malformed("ClientHello ends inside its compression methods");
        }
        if (p == end) {
            return new Result(Kind.COMPLETE, null, null); // no extensions at all (SSLv3-style hello)
        }
        if (p + 2 > end) {
            return Result.malformed("ClientHello ends inside its extensions length");
        }
        int extEnd = p + 2 + u16(h, p);
        p += 2;
        if (extEnd > end) {
            return Result.malformed("extensions run past the ClientHello");
        }
        while (p + 4 <= extEnd) {
            int type = u16(h, p);
            int extLength = u16(h, p + 2);
            p += 4;
            if (p + extLength > extEnd) {
                return Result.malformed("extension " + type + " runs past the extensions");
            }
            if (type == SERVER_NAME) {
                return serverName(h, p, extLength);
            }
            p += extLength;
        }
        return new Result(Kind.COMPLETE, null, null);
    }

    private static Result serverName(byte[] h, int p, int length) {
        int end = p + length;
        if (p + 2 > end) {
            return Result.malformed("empty server_name extension");
        }
        int listEnd = p + 2 + u16(h, p);
        p += 2;
        if (listEnd > end) {
            return Result.malformed("server_name list runs past its extension");
        }
        while (p + 3 <= listEnd) {
            int nameType = h[p] & 0xff;
            int nameLength = u16(h, p + 1);
            p += 3;
            if (p + nameLength > listEnd) {
                return Result.malformed("server name runs past its list");
            }
            if (nameType == HOST_NAME) {
                if (nameLength == 0) {
                    return Result.malformed("empty server name");
                }
                String name = new String(h, p, nameLength, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                if (name.endsWith(".")) {
                    name = name.substring(0, name.length() - 1);
                }
                return new Result(Kind.COMPLETE, name, null);
            }
            p += nameLength;
        }
        return new Result(Kind.COMPLETE, null, null);
    }

    private static int u16(byte[] b, int i) {
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }
}
