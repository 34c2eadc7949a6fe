package io.dsha.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a request's head must be to cross the proxy, rule by rule, as a table. */
class RequestRulesTest {

    private static HttpRequest request(HttpVersion version, String method, String target, String... headers) {
        HttpRequest r = new DefaultHttpRequest(version, HttpMethod.valueOf(method), target);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private static String refused(HttpRequest r, boolean h2) {
        RequestRules.Refusal refusal = RequestRules.check(r, h2);
        return refusal == null ? null : refusal.failure().status() + " " + refusal.kind();
    }

    @Test
    void theTable() {
        HttpVersion v11 = HttpVersion.HTTP_1_1;
        record Row(HttpRequest request, boolean h2, String expected) {
        }
        List<Row> rows = List.of(
                new Row(request(v11, "GET", "/a?b=c", "Host", "x"), false, null),
                new Row(request(HttpVersion.HTTP_1_0, "GET", "/", "X", "1"), false, null),
                new Row(request(HttpVersion.valueOf("HTTP/1.2"), "GET", "/", "Host", "x"), false, "505 version"),
                new Row(request(HttpVersion.valueOf("HTTP/2.0"), "PRI", "*"), false, "505 version"),
                new Row(request(v11, "CONNECT", "other:443", "Host", "other:443"), false, "405 method"),
                new Row(request(v11, "GET", "/a\u001bb", "Host", "x"), false, "400 target"),
                new Row(request(v11, "GET", "/caf\u00e9", "Host", "x"), false, "400 target"),
                new Row(request(v11, "GET", "a/b", "Host", "x"), false, "400 target"),
                new Row(request(v11, "OPTIONS", "*", "Host", "x"), false, null),
                new Row(request(v11, "GET", "*", "Host", "x"), false, "400 target"),
                new Row(request(v11, "GET", "http://user@x/", "Host", "x"), false, "400 target"),
                new Row(request(v11, "GET", "/", "Host", "x", "Host", "y"), false, "400 host"),
                new Row(request(v11, "GET", "/", "Host", "x", "Host", "x"), false, "400 host"),
                new Row(request(v11, "GET", "/"), false, "400 host"),
                new Row(request(v11, "GET", "/", "Host", "a b"), false, "400 host"),
                new Row(request(v11, "GET", "/", "Host", "[::1]:8443"), false, null),
                new Row(request(v11, "POST", "/", "Host", "x", "Transfer-Encoding", "chunked"), false, null),
                new Row(request(v11, "POST", "/", "Host", "x", "Transfer-Encoding", "Chunked "), false, null),
                new Row(request(v11, "POST", "/", "Host", "x", "Transfer-Encoding", "xchunked"), false, "400 transfer_encoding"),
                new Row(request(v11, "POST", "/", "Host", "x", "Transfer-Encoding", "gzip, chunked"), false, "400 transfer_encoding"),
                new Row(request(v11, "POST", "/", "Host", "x", "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"), false,
                        "400 transfer_encoding"),
                new Row(request(v11, "GET", "/", "Host", "a.example", "Host", "A.EXAMPLE"), true, null),
                new Row(request(v11, "GET", "/", "Host", "a.example", "Host", "b.example"), true, "400 host"));
        for (Row row : rows) {
            assertEquals(row.expected(), refused(row.request(), row.h2()), row.request().toString());
        }
    }

    @Test
    void anAbsoluteFormTargetBecomesOriginFormWithTheHostItNames() {
        HttpRequest r = request(HttpVersion.HTTP_1_1, "GET", "HTTP://Other.example:81?q=1", "Host", "x");
        assertNull(RequestRules.check(r, false));
        assertEquals("/?q=1", r.uri());
        assertEquals(List.of("Other.example:81"), r.headers().getAll("host"));
    }

    @Test
    void anHttp2RequestsEqualHostAndAuthorityGoOnAsOneHost() {
        HttpRequest r = request(HttpVersion.HTTP_1_1, "GET", "/", "Host", "a.example", "Host", "a.example");
        assertNull(RequestRules.check(r, true));
        assertEquals(List.of("a.example"), r.headers().getAll("host"));
    }

    @Test
    void whatIsNotVisibleAsciiIsEscapedForMessagesAndLogs() {
        assertEquals("/plain", RequestRules.printable("/plain"));
        assertEquals("/a\\x1b[31m\\x07\\\\", RequestRules.printable("/a\u001b[31m\u0007\\"));
    }
}
