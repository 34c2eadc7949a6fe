package io.dsha.controlplane;

import io.dsha.api.cluster.ClusterView;
import io.dsha.api.cluster.ClusterView.EtcdEndpoint;
import io.dsha.api.cluster.ClusterView.Replica;
import io.dsha.etcd.EndpointHealth;
import io.dsha.etcd.EtcdClient;
import io.dsha.etcd.MemberStatus;
import io.dsha.etcd.Role;
import io.vertx.core.Future;
import jakarta.inject.Singleton;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The control planes and their store as this one sees them ({@code GET /api/v1/cluster}): a diagnostic view, so it
 * answers with what it knows within {@link #WITHIN} whatever etcd does: without a quorum the members cannot be read (the
 * list is then this control plane alone) and each etcd endpoint says what it could not answer.
 */
@Singleton
public class ClusterViews {

    /** How long etcd may take over each part of the view (the members, each endpoint's status and health, side by side). */
    static final Duration WITHIN = Duration.ofMillis(1500);

    private final Replication replication;

    ClusterViews(Replication replication) {
        this.replication = replication;
    }

    public CompletionStage<ClusterView> view() {
        Replication.Member self = replication.self();
        Role role = replication.role();
        if (!replication.replicated()) {
            Replica me = replica(self, Role.Kind.LEADER.name());
            return CompletableFuture.completedFuture(new ClusterView("file", self.id(), me, List.of(me), List.of()));
        }
        EtcdClient client = replication.client();
        CompletableFuture<List<Replication.Member>> members = bounded(replication.members(), List.of());
        CompletableFuture<List<MemberStatus>> status = bounded(client.status(WITHIN), List.of());
        CompletableFuture<List<EndpointHealth>> health = bounded(client.health(WITHIN), List.of());
        return CompletableFuture.allOf(members, status, health).thenApply(v -> {
            Optional<Replication.Member> leader = role.kind() == Role.Kind.LEADER ? Optional.of(self) : role.leader().flatMap(Replication.Member::of);
            // Another process registered under this one's id (a misconfiguration, see Replication) is listed too: by its URL.
            List<Replica> replicas = Stream.concat(Stream.of(replica(self, role.kind().name())),
                            members.join().stream().filter(m -> !sameProcess(m, self))
                                    .map(m -> replica(m, (leader.isPresent() && sameProcess(m, leader.get()) ? Role.Kind.LEADER : Role.Kind.FOLLOWER).name())))
                    .sorted(Comparator.comparing(Replica::id).thenComparing(r -> String.valueOf(r.url()))).toList();
            return new ClusterView("etcd", self.id(), leader.map(l -> replica(l, Role.Kind.LEADER.name())).orElse(null), replicas,
                    endpoints(client.options().endpoints(), status.join(), health.join()));
        });
    }

    private static boolean sameProcess(Replication.Member a, Replication.Member b) {
        return a.id().equals(b.id()) && Objects.equals(a.url(), b.url());
    }

    private static Replica replica(Replication.Member m, String role) {
        return new Replica(m.id(), m.url(), role, m.since(), m.version());
    }

    /** One entry per configured endpoint, in their order: its status and its health, or why they are not known. */
    static List<EtcdEndpoint> endpoints(List<URI> configured, List<MemberStatus> status, List<EndpointHealth> health) {
        List<EtcdEndpoint> all = new ArrayList<>();
        for (URI u : configured) {
            Optional<MemberStatus> s = of(status, MemberStatus::endpoint, u);
            Optional<EndpointHealth> h = of(health, EndpointHealth::endpoint, u);
            String error = Stream.of(s.isEmpty() ? Optional.of("no status within " + WITHIN.toMillis() + " ms") : s.get().error(),
                            h.isEmpty() ? Optional.of("no health within " + WITHIN.toMillis() + " ms") : h.get().error())
                    .flatMap(Optional::stream).distinct().collect(Collectors.collectingAndThen(Collectors.joining("; "), e -> e.isEmpty() ? null : e));
            boolean answered = s.map(MemberStatus::answered).orElse(false);
            all.add(new EtcdEndpoint(u.toString().replaceAll("/+$", ""), h.map(EndpointHealth::healthy).orElse(false),
                    s.map(MemberStatus::leader).orElse(false), answered ? s.get().version() : null, answered ? s.get().revision() : 0,
                    answered ? s.get().dbSize() : 0, error));
        }
        return all;
    }

    /** The entry of {@code endpoint}, where there is one. */
    private static <T> Optional<T> of(List<T> entries, Function<T, URI> endpointOf, URI endpoint) {
        return entries.stream().filter(e -> Objects.equals(endpointOf.apply(e), endpoint)).findFirst();
    }

    /** {@code answer}, or {@code otherwise} where it failed or has not come a little after {@link #WITHIN}. */
    private static <T> CompletableFuture<T> bounded(Future<T> answer, T otherwise) {
        return answer.toCompletionStage().toCompletableFuture()
                .completeOnTimeout(otherwise, WITHIN.toMillis() + 200, TimeUnit.MILLISECONDS)
                .exceptionally(t -> otherwise);
    }
}
