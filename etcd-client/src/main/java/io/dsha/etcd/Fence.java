package io.dsha.etcd;

import java.util.Objects;

/**
 * A leader's term, as etcd knows it: the election's {@code key} as this leader created it ({@code createRevision}),
 * attached to its lease ({@code leaseId}). Every write the leader makes goes in a transaction that includes
 * {@link #compare()}: once the key is gone (the lease expired or was revoked, the leader resigned) or another
 * candidate created it anew, the create revision differs and the transaction fails, however late the write arrives.
 */
public record Fence(Bytes key, long createRevision, long leaseId) {

    public Fence {
        Objects.requireNonNull(key, "key");
        if (createRevision <= 0) {
            throw new IllegalArgumentException("a leader's key has a create revision above 0, not " + createRevision);
        }
    }

    /** The condition every write of this leader must include: the key's create revision is still this term's. */
    public Compare compare() {
        return Compare.createRevision(key, Compare.Result.EQUAL, createRevision);
    }

    @Override
    public String toString() {
        return "fence(" + key + " created at " + createRevision + ", lease " + Long.toHexString(leaseId) + ")";
    }
}
