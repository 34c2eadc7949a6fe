package io.dsha.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dsha.proxy.http.RetryPolicy.Decision;
import io.dsha.proxy.http.RetryPolicy.FailureKind;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The retry rule as a table: one row, one failed attempt, one decision. No Netty channel in sight. */
class RetryPolicyTest {

    @ParameterizedTest(name = "{0} {1}, body held {2}, {3} left, retry-on-timeout {4} -> {5}")
    @CsvSource(delimiter = '|', textBlock = """
            # how it failed      | method | body held | candidates left | retry-on-timeout | decision        | status
            # The proxy is stopping or out of file descriptors: no backend is at fault, none is tried.
            STOPPING             | GET    | true      | 2               | true             | STOPPING        | 503
            STOPPING             | POST   | false     | 0               | false            | STOPPING        | 503
            OUT_OF_FILES         | GET    | true      | 2               | true             | OUT_OF_FILES    | 503
            OUT_OF_FILES         | POST   | false     | 0               | false            | OUT_OF_FILES    | 503
            # Nothing was sent: whatever the method or body, the next candidate, while there is one.
            CONNECT_FAILED       | GET    | true      | 1               | true             | RETRY           | 0
            CONNECT_FAILED       | POST   | true      | 1               | false            | RETRY           | 0
            CONNECT_FAILED       | POST   | false     | 2               | false            | RETRY           | 0
            CONNECT_FAILED       | GET    | true      | 0               | true             | NONE_REACHABLE  | 503
            CONNECT_FAILED       | POST   | false     | 0               | true             | NONE_REACHABLE  | 503
            # Sent, then the connection broke (reset, closed, not HTTP): only an idempotent, held request goes again.
            FAILED_AFTER_SENDING | GET    | true      | 1               | false            | RETRY           | 0
            FAILED_AFTER_SENDING | PUT    | true      | 1               | false            | RETRY           | 0
            FAILED_AFTER_SENDING | DELETE | true      | 2               | true             | RETRY           | 0
            FAILED_AFTER_SENDING | GET    | false     | 1               | true             | BAD_GATEWAY     | 502
            FAILED_AFTER_SENDING | POST   | true      | 1               | true             | BAD_GATEWAY     | 502
            FAILED_AFTER_SENDING | PATCH  | true      | 1               | true             | BAD_GATEWAY     | 502
            FAILED_AFTER_SENDING | GET    | true      | 0               | true             | BAD_GATEWAY     | 502
            # No first byte in time: as above, and only with dsha.balance.retry-on-timeout.
            FIRST_BYTE_TIMEOUT   | GET    | true      | 1               | true             | RETRY           | 0
            FIRST_BYTE_TIMEOUT   | HEAD   | true      | 2               | true             | RETRY           | 0
            FIRST_BYTE_TIMEOUT   | GET    | true      | 1               | false            | GATEWAY_TIMEOUT | 504
            FIRST_BYTE_TIMEOUT   | GET    | false     | 1               | true             | GATEWAY_TIMEOUT | 504
            FIRST_BYTE_TIMEOUT   | POST   | true      | 1               | true             | GATEWAY_TIMEOUT | 504
            FIRST_BYTE_TIMEOUT   | GET    | true      | 0               | true             | GATEWAY_TIMEOUT | 504
            # Declared DOWN while awaiting the first byte (frozen backend): a held idempotent request goes to the new
            # decision's next backend (retry-on-timeout has no say); anything else keeps waiting for its answer or its 504.
            DECLARED_DOWN        | GET    | true      | 1               | true             | RETRY           | 0
            DECLARED_DOWN        | GET    | true      | 1               | false            | RETRY           | 0
            DECLARED_DOWN        | GET    | true      | 0               | true             | WAIT            | 0
            DECLARED_DOWN        | GET    | false     | 1               | true             | WAIT            | 0
            DECLARED_DOWN        | POST   | true      | 1               | true             | WAIT            | 0
            """)
    void decides(FailureKind kind, String method, boolean bodyHeld, int candidatesLeft, boolean retryOnTimeout, Decision expected,
            int status) {
        Decision decision = RetryPolicy.decide(kind, RetryPolicy.idempotent(HttpMethod.valueOf(method)), bodyHeld, candidatesLeft,
                retryOnTimeout);
        assertEquals(expected, decision);
        assertEquals(status, decision.status());
    }

    @ParameterizedTest(name = "{0} idempotent: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            GET     | true
            HEAD    | true
            OPTIONS | true
            PUT     | true
            DELETE  | true
            TRACE   | true
            POST    | false
            PATCH   | false
            CONNECT | false
            """)
    void idempotentMethods(String method, boolean idempotent) {
        assertEquals(idempotent, RetryPolicy.idempotent(HttpMethod.valueOf(method)));
    }

    @ParameterizedTest(name = "{0} (WebSocket {1}) -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            # decision      | websocket | the client's answer
            STOPPING        | false     | {"status":503,"error":"no backend available","reason":"the proxy is stopping"}
            OUT_OF_FILES    | false     | {"status":503,"error":"no backend available","reason":"the proxy cannot open a connection now: boom"}
            NONE_REACHABLE  | false     | {"status":503,"error":"no backend available","reason":"no backend could be reached; last: b boom"}
            NONE_REACHABLE  | true      | {"status":503,"error":"no backend available","reason":"no backend accepted the WebSocket; last: b boom"}
            BAD_GATEWAY     | false     | {"status":502,"error":"bad gateway","reason":"b: boom after the request was sent"}
            GATEWAY_TIMEOUT | false     | {"status":504,"error":"gateway timeout","reason":"b: boom"}
            """)
    void answers(Decision decision, boolean websocket, String json) {
        ProxyFailure failure = decision.failure("b", "boom", websocket);
        assertEquals(json, failure.json());
        assertEquals(decision.status(), failure.status());
    }

    @ParameterizedTest
    @EnumSource(value = Decision.class, names = {"RETRY", "WAIT"})
    void retryAndWaitAnswerNothing(Decision decision) {
        assertThrows(IllegalStateException.class, () -> decision.failure("b", "boom", false));
    }
}
