package io.dsha.etcd;

import java.util.Objects;
import java.util.Optional;

/**
 * Where an {@link Election} stands: {@code kind}, why (for logs and readiness: "won the election", "lease lost: no
 * keep-alive for 1.6 s", "etcd unreachable: ..."), and the current leader's value where known ({@code leader}: this
 * candidate's own value while it leads, the other's while it follows, empty while it campaigns).
 */
public record Role(Kind kind, String reason, Optional<Bytes> leader) {

    public enum Kind {
        /** Holds the key and a lease it renewed in time: may act, fencing every write with its {@link Fence}. */
        LEADER,
        /** Another candidate holds the key; this one watches it and campaigns as soon as it is deleted. */
        FOLLOWER,
        /** Campaigning, retrying while etcd does not answer, or closed: knows no leader. */
        CANDIDATE
    }

    public Role {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(leader, "leader");
    }

    static Role candidate(String reason) {
        return new Role(Kind.CANDIDATE, reason, Optional.empty());
    }

    @Override
    public String toString() {
        return kind + " (" + reason + ")" + leader.map(l -> ", leader " + l).orElse("");
    }
}
