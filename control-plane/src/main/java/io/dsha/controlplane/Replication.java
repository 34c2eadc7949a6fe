package io.dsha.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.json.DshaJson;
import io.dsha.controlplane.store.NotLeader;
import io.dsha.etcd.Bytes;
import io.dsha.etcd.Compare;
import io.dsha.etcd.Election;
import io.dsha.etcd.EtcdClient;
import io.dsha.etcd.Fence;
import io.dsha.etcd.Role;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Whether this control plane decides, and who does when it does not. With one control plane
 * ({@code dsha.store=file}) it always decides. With several on etcd, one leads, elected through an
 * etcd lease ({@link Election}): only the leader runs the decision engine and writes, every write
 * fenced by its term (the leader key's create revision), so a leader that was paused past its lease
 * writes nothing on waking; the others serve reads and forward changes to it.
 */
public final class Replication implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Replication.class);

    /** This control plane as the others see it: its name and where its API is. */
    public record Member(String id, String url) {
    }

    private final EtcdClient client;
    private final String prefix;
    private final Duration ttl;
    private volatile Election election;

    private Replication(EtcdClient client, String prefix, Duration ttl) {
        this.client = client;
        this.prefix = prefix;
        this.ttl = ttl;
    }

    /** One control plane: it decides. */
    static Replication single() {
        return new Replication(null, null, null);
    }

    /** Several on etcd, under {@code prefix}: the leader decides, once {@link #start} has made this one a candidate. */
    static Replication onEtcd(EtcdClient client, String prefix, Duration ttl) {
        return new Replication(client, prefix, ttl);
    }

    public boolean replicated() {
        return client != null;
    }

    EtcdClient client() {
        return client;
    }

    /** Campaigns as {@code self}; {@code changed} hears of every change of role (on an event loop: keep it short). */
    void start(Member self, Consumer<Role> changed) {
        if (client == null) {
            return;
        }
        Bytes value = Bytes.of(DshaJson.mapper().valueToTree(Map.of("id", self.id(), "url", self.url())).toString());
        Election e = new Election(client, Bytes.of(prefix + "leader"), value, ttl, System::nanoTime);
        e.onChange(role -> {
            LOG.infof("Control plane %s is now %s (%s)%s", self.id(), role.kind(), role.reason(),
                    role.leader().flatMap(Replication::member).map(m -> "; the leader is " + m.id() + " at " + m.url()).orElse(""));
            changed.accept(role);
        });
        election = e;
        e.start();
    }

    /** Whether this control plane runs the decision engine and writes now. */
    public boolean decides() {
        Election e = election;
        return client == null || e != null && e.leading();
    }

    /** The compare every write must carry: this term's fence. Throws {@link NotLeader} when this control plane does not lead. */
    Optional<Compare> fence() {
        if (client == null) {
            return Optional.empty();
        }
        Election e = election;
        Optional<Fence> f = e == null ? Optional.empty() : e.fence();
        if (f.isEmpty()) {
            throw new NotLeader("this control plane does not lead now (" + role().reason() + ")");
        }
        return Optional.of(f.get().compare());
    }

    /** The leader, when another control plane leads. */
    public Optional<Member> leader() {
        Election e = election;
        return e == null || e.leading() ? Optional.empty() : e.leader().flatMap(Replication::member);
    }

    public Role role() {
        Election e = election;
        if (client == null) {
            return new Role(Role.Kind.LEADER, "the only control plane (dsha.store=file)", Optional.empty());
        }
        return e == null ? new Role(Role.Kind.CANDIDATE, "not started", Optional.empty()) : e.role();
    }

    private static Optional<Member> member(Bytes value) {
        try {
            JsonNode n = DshaJson.mapper().readTree(value.toByteArray());
            return Optional.of(new Member(n.path("id").asText(), n.path("url").asText()));
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        Election e = election;
        if (e != null) {
            try {
                e.close().toCompletionStage().toCompletableFuture().get(ttl.toMillis() * 2, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception ex) {
                LOG.debugf("Leaving the election: %s", ex.toString());
            }
        }
        if (client != null) {
            client.close();
        }
    }
}
