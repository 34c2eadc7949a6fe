package io.dsha.controlplane.store;

import java.util.HexFormat;
import java.util.zip.CRC32C;

/** The CRC-32C that the journal's lines and {@code state.json} carry, as 8 lowercase hex digits. */
final class Crc {

    static final int DIGITS = 8;
    private static final HexFormat HEX = HexFormat.of();

    private Crc() {
    }

    static String of(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return HEX.toHexDigits((int) crc.getValue());
    }

    static String of(byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }
}
