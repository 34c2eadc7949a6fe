package io.dsha.proxy.passthrough;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.dsha.proxy.passthrough.ClientHello.Kind;
import io.dsha.proxy.support.ClientHellos;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real ClientHellos, made by the JDK's own TLS engine, cut and corrupted every way that matters. */
class ClientHelloTest {

    private static byte[] clientHello(String serverName, String... protocols) {
        return ClientHellos.clientHello(serverName, protocols);
    }

    private static ClientHello.Result parse(byte[] b) {
        return ClientHello.parse(b, b.length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void readsTheServerNameOfARealClientHello(String protocol) throws Exception {
        ClientHello.Result r = parse(clientHello("DataStack.Example.com", protocol));
        assertEquals(Kind.COMPLETE, r.kind());
        assertEquals("datastack.example.com", r.serverName(), "lower-cased");
    }

    @Test
    void aClientHelloWithoutServerNameIsCompleteWithNone() throws Exception {
        ClientHello.Result r = parse(clientHello(null));
        assertEquals(Kind.COMPLETE, r.kind());
        assertNull(r.serverName());
    }

    /** However TCP cuts it, every prefix asks for more and the whole says the name. */
    @Test
    void everyPrefixNeedsMoreAndOnlyTheWholeIsComplete() throws Exception {
        byte[] hello = clientHello("ds.example.com");
        for (int n = 0; n < hello.length; n++) {
            assertEquals(Kind.NEED_MORE, ClientHello.parse(hello, n).kind(), "prefix of " + n + " bytes");
        }
        assertEquals("ds.example.com", parse(hello).serverName());
    }

    /** A handshake message may be fragmented over several TLS records (RFC 8446 §5.1). */
    @Test
    void aClientHelloSplitOverThreeRecordsIsReassembled() throws Exception {
        byte[] hello = clientHello("ds.example.com");
        byte[] body = Arrays.copyOfRange(hello, 5, hello.length);
        int[] cuts = {0, 3, 40, body.length};
        ByteBuffer split = ByteBuffer.allocate(hello.length + 10);
        for (int i = 0; i + 1 < cuts.length; i++) {
            int len = cuts[i + 1] - cuts[i];
            split.put((byte) 22).put((byte) 3).put((byte) 1).putShort((short) len).put(body, cuts[i], len);
        }
        byte[] records = Arrays.copyOf(split.array(), split.position());
        for (int n = 0; n < records.length; n++) {
            assertEquals(Kind.NEED_MORE, ClientHello.parse(records, n).kind(), "prefix of " + n + " bytes");
        }
        assertEquals("ds.example.com", parse(records).serverName());
    }

    @Test
    void bytesAfterTheClientHelloDoNotMatter() throws Exception {
        byte[] hello = clientHello("ds.example.com");
        byte[] more = Arrays.copyOf(hello, hello.length + 100);
        assertEquals("ds.example.com", parse(more).serverName());
    }

    @Test
    void plainHttpIsNotTls() {
        byte[] http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(Kind.NOT_TLS, parse(http).kind());
        assertEquals(Kind.NOT_TLS, ClientHello.parse(http, 1).kind(), "known from the first byte");
    }

    @Test
    void aHandshakeThatIsNotAClientHelloIsMalformed() throws Exception {
        byte[] hello = clientHello("ds.example.com");
        hello[5] = 2; // ServerHello
        assertEquals(Kind.MALFORMED, parse(hello).kind());
    }

    @Test
    void anExtensionLengthRunningPastTheMessageIsMalformed() throws Exception {
        byte[] hello = clientHello("ds.example.com");
        // legacy_version(2) random(32) session id, cipher suites, compression: find the extensions length.
        int p = 5 + 4 + 2 + 32;
        p += 1 + (hello[p] & 0xff);
        p += 2 + (((hello[p] & 0xff) << 8) | (hello[p + 1] & 0xff));
        p += 1 + (hello[p] & 0xff);
        hello[p] = (byte) 0xff;
        hello[p + 1] = (byte) 0xff;
        assertEquals(Kind.MALFORMED, parse(hello).kind());
    }

    @Test
    void aRecordOfZeroLengthIsMalformed() {
        assertEquals(Kind.MALFORMED, parse(new byte[] {22, 3, 1, 0, 0}).kind());
    }
}
