package io.dsha.etcd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BytesTest {

    @Test
    void thePrefixEndIsThePrefixWithItsLastByteIncremented() {
        assertEquals(Bytes.of("/dsha/b"), Bytes.of("/dsha/a").prefixEnd());
        assertEquals(Bytes.of("/dsha0"), Bytes.of("/dsha/").prefixEnd());
    }

    @Test
    void trailing0xffBytesAreDroppedAndAPrefixOfThemOnlyMeansEveryKey() {
        assertArrayEquals(new byte[] {'a', 'c'}, Bytes.of(new byte[] {'a', 'b', (byte) 0xff, (byte) 0xff}).prefixEnd().toByteArray());
        assertArrayEquals(new byte[] {0}, Bytes.of(new byte[] {(byte) 0xff}).prefixEnd().toByteArray());
        assertArrayEquals(new byte[] {0}, Bytes.EMPTY.prefixEnd().toByteArray());
    }

    @Test
    void bytesAreCopiedInAndOut() {
        byte[] raw = {1, 2};
        Bytes b = Bytes.of(raw);
        raw[0] = 9;
        b.toByteArray()[1] = 9;
        assertArrayEquals(new byte[] {1, 2}, b.toByteArray());
    }

    @Test
    void base64RoundTripsAndTextPrintsAsText() {
        Bytes b = Bytes.of("héllo");
        assertEquals(b, Bytes.fromBase64(b.base64()));
        assertEquals("héllo", b.toString());
        assertEquals("base64:AAE=", Bytes.of(new byte[] {0, 1}).toString());
        assertEquals(Bytes.EMPTY, Bytes.fromBase64(null));
    }

    @Test
    void prefixesAndOrderAreByUnsignedBytes() {
        assertTrue(Bytes.of("/a/b").startsWith(Bytes.of("/a/")));
        assertFalse(Bytes.of("/a").startsWith(Bytes.of("/a/")));
        assertTrue(Bytes.of(new byte[] {(byte) 0x80}).compareTo(Bytes.of(new byte[] {0x7f})) > 0);
    }
}
