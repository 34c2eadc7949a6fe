package io.dsha.proxy.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Set;

/**
 * Whether an attempt that failed before its response began goes to the next backend, and if not, what the client is
 * answered. A pure function of how the attempt failed, the method, whether the body is held in full, how many
 * candidates are left and the {@code dsha.balance.retry-on-timeout} setting; {@link Exchange} asks it at every such
 * failure and carries out the answer (its side effects, ejection and reports, stay there).
 *
 * <p>The rule: nothing sent, any request goes on; once the request may have reached a backend, only an idempotent
 * one whose body is held in full is sent again. Attempts so far count through the candidate list, which
 * {@code dsha.balance.max-attempts} already cut. Not decided here: the request's own deadline
 * ({@code dsha.timeouts.request}) ends the exchange whatever the attempt, and a failure once the response's head was
 * relayed cuts the client's connection; neither is ever retried.
 */
final class RetryPolicy {

    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT,
            HttpMethod.DELETE, HttpMethod.TRACE);

    /** How an attempt failed, before any byte of its response was relayed. */
    enum FailureKind {
        /** The pool took no more leases: the proxy is stopping. Nothing was sent. */
        STOPPING,
        /** No connection could be opened because this process is out of file descriptors: no backend is at fault. Nothing was sent. */
        OUT_OF_FILES,
        /** The connection was refused, timed out or broke before it was ready (TLS included). Nothing was sent. */
        CONNECT_FAILED,
        /** The connection closed or was reset, or the backend sent what is not HTTP, after the request (or its beginning) went out. */
        FAILED_AFTER_SENDING,
        /** No response head within {@code dsha.timeouts.first-byte} of the whole request going out. */
        FIRST_BYTE_TIMEOUT,
        /** The control plane declared the backend DOWN while the request awaited its first byte from it (a frozen backend). */
        DECLARED_DOWN,
    }

    /** What to do with the exchange: try the next candidate, keep waiting, or answer the client with {@link #status()}. */
    enum Decision {
        /** Try the next candidate (for {@link FailureKind#DECLARED_DOWN}: the first of the new routing decision's). */
        RETRY(0),
        /** Not rescued: the request keeps waiting for its answer or its first-byte timeout. */
        WAIT(0),
        /** 503: the proxy is stopping. */
        STOPPING(503),
        /** 503: this process cannot open a connection now; every backend would fail alike. */
        OUT_OF_FILES(503),
        /** 503: no candidate could be reached. */
        NONE_REACHABLE(503),
        /** 502: the backend failed after the request went out, and the request may not be sent again. */
        BAD_GATEWAY(502),
        /** 504: no first byte in time, and the request may not (or by configuration does not) go again. */
        GATEWAY_TIMEOUT(504);

        private final int status;

        Decision(int status) {
            this.status = status;
        }

        /** The status the client is answered, or 0 when it is not answered now. */
        int status() {
            return status;
        }

        /**
         * The answer to a request given up on {@code backend}, whose failure is described by {@code reason}.
         *
         * @throws IllegalStateException for {@link #RETRY} and {@link #WAIT}, which answer nothing
         */
        ProxyFailure failure(String backend, String reason, boolean websocket) {
            return switch (this) {
                case STOPPING -> ProxyFailure.unavailable("the proxy is stopping");
                case OUT_OF_FILES -> ProxyFailure.unavailable("the proxy cannot open a connection now: " + reason);
                case NONE_REACHABLE -> ProxyFailure.unavailable(
                        (websocket ? "no backend accepted the WebSocket; last: " : "no backend could be reached; last: ") + backend + " " + reason);
                case BAD_GATEWAY -> ProxyFailure.badGateway(backend + ": " + reason + " after the request was sent");
                case GATEWAY_TIMEOUT -> ProxyFailure.timeout(backend + ": " + reason);
                case RETRY, WAIT -> throw new IllegalStateException(name() + " answers nothing");
            };
        }
    }

    private RetryPolicy() {
    }

    /** Whether {@code method} may be sent again after it may have reached a backend (RFC 9110 §9.2.2). */
    static boolean idempotent(HttpMethod method) {
        return IDEMPOTENT.contains(method);
    }

    /** Whether a request that may have reached a backend may be sent to another one. */
    static boolean mayResend(boolean idempotent, boolean bodyHeld) {
        return idempotent && bodyHeld;
    }

    /**
     * The decision on a failed attempt.
     *
     * @param kind how the attempt failed
     * @param idempotent whether the request's method is idempotent ({@link #idempotent})
     * @param bodyHeld whether the request's whole body is held (false once it is streamed)
     * @param candidatesLeft candidates not yet tried (for {@link FailureKind#DECLARED_DOWN}: the new decision's, without the backend declared DOWN)
     * @param retryOnTimeout {@code dsha.balance.retry-on-timeout}
     */
    static Decision decide(FailureKind kind, boolean idempotent, boolean bodyHeld, int candidatesLeft, boolean retryOnTimeout) {
        boolean more = candidatesLeft > 0;
        return switch (kind) {
            case STOPPING -> Decision.STOPPING;
            case OUT_OF_FILES -> Decision.OUT_OF_FILES;
            case CONNECT_FAILED -> more ? Decision.RETRY : Decision.NONE_REACHABLE;
            case FAILED_AFTER_SENDING -> more && mayResend(idempotent, bodyHeld) ? Decision.RETRY : Decision.BAD_GATEWAY;
            case FIRST_BYTE_TIMEOUT -> more && retryOnTimeout && mayResend(idempotent, bodyHeld) ? Decision.RETRY : Decision.GATEWAY_TIMEOUT;
            case DECLARED_DOWN -> more && mayResend(idempotent, bodyHeld) ? Decision.RETRY : Decision.WAIT;
        };
    }
}
