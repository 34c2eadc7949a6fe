package io.dsha.etcd;

import java.util.Objects;

/** One operation of a transaction's branch: a range read, a put or a delete. */
public sealed interface Op permits Op.Range, Op.Put, Op.Delete {

    /** Keys from {@code key} to {@code rangeEnd} (excluded); an empty {@code rangeEnd} reads {@code key} alone. */
    record Range(Bytes key, Bytes rangeEnd) implements Op {
        public Range {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(rangeEnd, "rangeEnd");
        }
    }

    /** {@code lease}: the lease the key is attached to (deleted when it expires), 0 for none. */
    record Put(Bytes key, Bytes value, long lease) implements Op {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    /** Deletes {@code key} to {@code rangeEnd} (excluded); an empty {@code rangeEnd} deletes {@code key} alone. */
    record Delete(Bytes key, Bytes rangeEnd) implements Op {
        public Delete {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(rangeEnd, "rangeEnd");
        }
    }

    static Op get(Bytes key) {
        return new Range(key, Bytes.EMPTY);
    }

    static Op getPrefix(Bytes prefix) {
        return new Range(prefix, prefix.prefixEnd());
    }

    static Op put(Bytes key, Bytes value) {
        return new Put(key, value, 0);
    }

    static Op put(Bytes key, Bytes value, long lease) {
        return new Put(key, value, lease);
    }

    static Op delete(Bytes key) {
        return new Delete(key, Bytes.EMPTY);
    }

    static Op deletePrefix(Bytes prefix) {
        return new Delete(prefix, prefix.prefixEnd());
    }
}
