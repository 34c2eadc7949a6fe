package io.dsha.api.cluster;

import java.util.List;

/**
 * {@code GET /api/v1/cluster}: the control planes and their store, as the replica that answers sees them.
 *
 * @param store    {@code file} (one control plane) or {@code etcd}
 * @param self     the answering replica's id ({@code dsha.replica-id})
 * @param leader   the replica that decides now, or null while none does (an election under way, etcd out of quorum)
 * @param replicas every replica alive now (on etcd: those whose membership lease is held), the answering one included
 * @param etcd     one entry per configured etcd endpoint (empty with the file store)
 */
public record ClusterView(String store, String self, Replica leader, List<Replica> replicas, List<EtcdEndpoint> etcd) {

    public ClusterView {
        replicas = List.copyOf(replicas);
        etcd = List.copyOf(etcd);
    }

    /**
     * One control plane.
     *
     * @param role    {@code LEADER}, {@code FOLLOWER} or {@code CANDIDATE}: the answering replica's own role for itself;
     *                for the others, {@code LEADER} for the one holding the leader key and {@code FOLLOWER} for the rest
     * @param since   when it joined (ISO-8601), as it registered itself
     * @param version the build it runs
     */
    public record Replica(String id, String url, String role, String since, String version) {
    }

    /**
     * What one etcd endpoint says of its member: healthy ({@code /health}: it has a leader and serves), whether it is
     * etcd's leader, its version, the store's revision and database size; {@code error} instead where it did not answer.
     */
    public record EtcdEndpoint(String url, boolean healthy, boolean leader, String version, long revision, long dbSizeBytes, String error) {
    }
}
