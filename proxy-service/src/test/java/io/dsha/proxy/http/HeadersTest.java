package io.dsha.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

/** What crosses the proxy in headers, in both directions. */
class HeadersTest {

    private static HttpHeaders headers(String... namesAndValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            h.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return h;
    }

    @Test
    void theHeadersConnectionNamesStopHereWhateverTheirSpacingAndCase() {
        HttpHeaders h = headers("Connection", "close ,X-Secret,, x-other ,Keep-Alive", "X-Secret", "1", "X-Other", "2",
                "Keep-Alive", "timeout=5", "TE", "trailers", "Accept", "*/*");
        Headers.removeHopByHop(h);
        assertEquals(1, h.size(), h.toString());
        assertEquals("*/*", h.get("accept"));
    }

    @Test
    void aConnectionHeaderOfOnlyTheUsualTokensLeavesTheEndToEndOnes() {
        HttpHeaders h = headers("Connection", "keep-alive", "Close", "not a hop-by-hop header", "Content-Type", "text/plain");
        Headers.removeHopByHop(h);
        assertEquals("not a hop-by-hop header", h.get("close"));
        assertEquals("text/plain", h.get("content-type"));
        assertNull(h.get("connection"));
    }

    @Test
    void aRequestGoesOnWithTheForwardingHeadersOfItsConnection() {
        Headers.Forwarding from = new Headers.Forwarding("10.0.0.7", true);
        HttpHeaders h = headers("Host", "ink.example:8443", "Connection", "keep-alive");
        Headers.upstream(h, from, false);
        assertEquals("10.0.0.7", h.get("x-forwarded-for"));
        assertEquals("https", h.get("x-forwarded-proto"));
        assertEquals("ink.example:8443", h.get("x-forwarded-host"));
        assertEquals("for=10.0.0.7;proto=https;host=\"ink.example:8443\"", h.get("forwarded"));
        assertFalse(h.contains("connection"));
    }

    @Test
    void earlierProxiesAreKeptAndAppendedTo() {
        Headers.Forwarding from = new Headers.Forwarding("::1", false);
        HttpHeaders h = headers("X-Forwarded-For", "192.0.2.1", "Forwarded", "for=192.0.2.1");
        Headers.upstream(h, from, false);
        assertEquals("192.0.2.1, ::1", h.get("x-forwarded-for"));
        assertEquals("http", h.get("x-forwarded-proto"));
        assertNull(h.get("x-forwarded-host"));
        assertEquals("for=192.0.2.1, for=\"[::1]\";proto=http", h.get("forwarded"));
    }

    @Test
    void theForwardedElementFollowsTheHostEachRequestNames() {
        Headers.Forwarding from = new Headers.Forwarding("10.0.0.7", false);
        String first = from.element("a.example");
        assertSame(first, from.element("a.example"), "built once while the host stays the same");
        assertEquals("for=10.0.0.7;proto=http;host=\"b.example\"", from.element("b.example"));
        assertEquals("for=10.0.0.7;proto=http", from.element(null));
        assertEquals("for=10.0.0.7;proto=http;host=\"a.example\"", from.element("a.example"));
    }

    @Test
    void aConnectionHeaderCanNeverRemoveTheFramingOrTheHost() {
        HttpHeaders h = headers("Connection", "keep-alive, Content-Length, HOST,transfer-encoding , X-Other", "Content-Length", "40",
                "Host", "ink.example", "X-Other", "1");
        Headers.removeHopByHop(h);
        assertEquals("40", h.get("content-length"), "the body was framed by it: removing it would smuggle the body as a request");
        assertEquals("ink.example", h.get("host"));
        assertNull(h.get("x-other"));
        assertNull(h.get("connection"));

        HttpHeaders response = headers("Connection", "Content-Length", "Content-Length", "6");
        Headers.downstream(response);
        assertEquals("6", response.get("content-length"), "nor a backend's response framing");
    }
}
