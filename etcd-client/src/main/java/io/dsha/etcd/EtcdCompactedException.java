package io.dsha.etcd;

/**
 * A watch asked for revisions etcd has compacted away: it cannot resume from there. Read the keys again (a range gives
 * their state and its revision) and watch from that revision + 1. {@code compactRevision}: the oldest revision etcd
 * still has.
 */
public final class EtcdCompactedException extends EtcdException {

    private static final long serialVersionUID = 1L;

    private final long compactRevision;

    public EtcdCompactedException(String endpoint, long requestedRevision, long compactRevision) {
        super(endpoint, "a watch from revision " + requestedRevision, 200, 11,
                "etcdserver: mvcc: required revision has been compacted (compact revision " + compactRevision + ")");
        this.compactRevision = compactRevision;
    }

    public long compactRevision() {
        return compactRevision;
    }
}
