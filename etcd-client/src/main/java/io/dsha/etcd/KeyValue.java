package io.dsha.etcd;

import java.util.Objects;

/**
 * A key as etcd holds it. {@code createRevision}: the revision that created it (0 for a key that does not exist, in a
 * compare); {@code modRevision}: the revision of its last change; {@code version}: how many times it was written since
 * it was created (a delete resets it); {@code lease}: the lease it is attached to, 0 for none. A key in a DELETE event
 * carries only its key and the delete's revision as {@code modRevision}.
 */
public record KeyValue(Bytes key, Bytes value, long createRevision, long modRevision, long version, long lease) {

    public KeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return key + "=" + value + " (create " + createRevision + ", mod " + modRevision + ", version " + version
                + (lease == 0 ? "" : ", lease " + lease) + ")";
    }
}
