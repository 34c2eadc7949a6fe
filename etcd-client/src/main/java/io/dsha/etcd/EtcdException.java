package io.dsha.etcd;

/**
 * A request etcd refused or that found no answer. The message names the endpoint and says what etcd said: the HTTP
 * status, the gRPC code and etcd's own message (e.g. "etcdserver: requested lease not found"). {@code httpStatus} is 0
 * and {@code grpcCode} -1 where there was no answer (refused, reset, timed out).
 */
public class EtcdException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The gRPC codes by number, for messages. */
    private static final String[] CODES = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

    /** gRPC's NOT_FOUND (e.g. a lease that expired or was revoked). */
    public static final int NOT_FOUND = 5;
    /** gRPC's UNAVAILABLE (e.g. "etcdserver: no leader", "etcdserver: request timed out"). */
    public static final int UNAVAILABLE = 14;

    private final String endpoint;
    private final int httpStatus;
    private final int grpcCode;
    private final String etcdMessage;

    public EtcdException(String message, Throwable cause) {
        super(message, cause);
        this.endpoint = null;
        this.httpStatus = 0;
        this.grpcCode = -1;
        this.etcdMessage = null;
    }

    /** What etcd answered at {@code endpoint} to {@code what} (e.g. "POST /v3/kv/put"). */
    public EtcdException(String endpoint, String what, int httpStatus, int grpcCode, String etcdMessage) {
        super("etcd at " + endpoint + " refused " + what + ": " + (etcdMessage == null || etcdMessage.isEmpty() ? "(no message)" : etcdMessage)
                + " (HTTP " + httpStatus + (grpcCode < 0 ? "" : ", gRPC " + codeName(grpcCode)) + ")");
        this.endpoint = endpoint;
        this.httpStatus = httpStatus;
        this.grpcCode = grpcCode;
        this.etcdMessage = etcdMessage;
    }

    static String codeName(int code) {
        return code >= 0 && code < CODES.length ? code + " " + CODES[code] : String.valueOf(code);
    }

    /** The endpoint that answered, or null where none did. */
    public String endpoint() {
        return endpoint;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int grpcCode() {
        return grpcCode;
    }

    /** etcd's own message, or null where none answered. */
    public String etcdMessage() {
        return etcdMessage;
    }

    /** Whether another endpoint may do better: no answer, or an answer of the 5xx kind (no leader, timed out). */
    public boolean retriable() {
        return httpStatus == 0 || httpStatus >= 500;
    }
}
