package io.dsha.etcd;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * What one endpoint says of its member ({@code /v3/maintenance/status}), for a status page: its member id, the leader
 * it knows (0: none), the raft term and index, the database size (allocated and in use, bytes), etcd's version and
 * the store's revision. An endpoint that did not answer has {@code error} and zeros. Member ids are etcd's uint64s in
 * a long (so possibly negative): {@link #hex} prints them as etcdctl does.
 */
public record MemberStatus(URI endpoint, Optional<String> error, long memberId, long leaderId, long raftTerm, long raftIndex,
        long dbSize, long dbSizeInUse, String version, long revision) {

    public MemberStatus {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(version, "version");
    }

    static MemberStatus unreachable(URI endpoint, String error) {
        return new MemberStatus(endpoint, Optional.of(error), 0, 0, 0, 0, 0, 0, "", 0);
    }

    /** An id as etcdctl prints it, e.g. {@code 8e9e05c52164694d}. */
    public static String hex(long id) {
        return Long.toHexString(id);
    }

    public boolean answered() {
        return error.isEmpty();
    }

    /** Whether this member is the leader. */
    public boolean leader() {
        return answered() && memberId != 0 && memberId == leaderId;
    }

    @Override
    public String toString() {
        return endpoint + (error.isPresent() ? ": " + error.get() : ": member " + hex(memberId) + (leader() ? " (leader)" : ", leader " + hex(leaderId))
                + ", term " + raftTerm + ", index " + raftIndex + ", db " + dbSize + " bytes (" + dbSizeInUse + " in use), etcd " + version
                + ", revision " + revision);
    }
}
