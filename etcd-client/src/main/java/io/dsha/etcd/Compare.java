package io.dsha.etcd;

import java.util.Objects;

/**
 * A transaction's condition on one key: its {@code target} compared with {@code result} to a number ({@code
 * CREATE}/{@code MOD} revision, {@code VERSION}, {@code LEASE} id) or to {@code value} ({@code VALUE}). A key that does
 * not exist has create revision, mod revision, version and lease 0 (so {@code createRevision(key, EQUAL, 0)} is "the
 * key is absent").
 */
public record Compare(Bytes key, Target target, Result result, long number, Bytes value) {

    public enum Target {
        VALUE, VERSION, CREATE, MOD, LEASE
    }

    public enum Result {
        EQUAL, NOT_EQUAL, LESS, GREATER
    }

    public Compare {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(value, "value");
        if (target != Target.VALUE && !value.isEmpty()) {
            throw new IllegalArgumentException("a " + target + " compare takes a number, not a value");
        }
    }

    public static Compare value(Bytes key, Result result, Bytes value) {
        return new Compare(key, Target.VALUE, result, 0, value);
    }

    public static Compare version(Bytes key, Result result, long version) {
        return new Compare(key, Target.VERSION, result, version, Bytes.EMPTY);
    }

    public static Compare createRevision(Bytes key, Result result, long revision) {
        return new Compare(key, Target.CREATE, result, revision, Bytes.EMPTY);
    }

    public static Compare modRevision(Bytes key, Result result, long revision) {
        return new Compare(key, Target.MOD, result, revision, Bytes.EMPTY);
    }

    public static Compare lease(Bytes key, Result result, long leaseId) {
        return new Compare(key, Target.LEASE, result, leaseId, Bytes.EMPTY);
    }

    @Override
    public String toString() {
        return target + "(" + key + ") " + result + " " + (target == Target.VALUE ? value : String.valueOf(number));
    }
}
