package io.dsha.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import io.dsha.api.json.DshaJson;
import io.dsha.controlplane.store.NotLeader;
import io.dsha.etcd.Bytes;
import io.dsha.etcd.Compare;
import io.dsha.etcd.Election;
import io.dsha.etcd.EtcdClient;
import io.dsha.etcd.Fence;
import io.dsha.etcd.LeasedKey;
import io.dsha.etcd.Role;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Whether this control plane decides, and who does when it does not. With one control plane
 * ({@code dsha.store=file}) it always decides. With several on etcd, one leads, elected through an
 * etcd lease ({@link Election}): only the leader runs the decision engine and writes, every write
 * fenced by its term (the leader key's create revision), so a leader that was paused past its lease
 * writes nothing on waking; the others serve reads and forward changes to it.
 *
 * <p>Every replica on etcd also registers itself at {@code <prefix>members/<id>} with a lease of its own
 * ({@link LeasedKey}), so that each can list the others ({@code GET /api/v1/cluster}): the key is there while
 * the replica lives and goes about a lease ttl after it dies.
 *
 * <p><b>Two replicas given the same id.</b> The second does not overwrite the first's key: it registers with a
 * create-only transaction, logs an ERROR naming the id, and is not ready (readiness names the other holder) until
 * that key goes. It is not refused at start, because the same id is also what a replica restarted at once after a
 * crash finds: its previous life's key, held until that lease expires (a ttl). Refusing would make a quick restart
 * fail; waiting a ttl and then taking over is right for both.
 */
public final class Replication implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Replication.class);

    /**
     * This control plane as the others see it: its name, where its API is (null until it listens), when it started
     * (ISO-8601) and the build it runs.
     */
    public record Member(String id, String url, String since, String version) {

        public Member {
            Objects.requireNonNull(id, "id");
        }

        Member at(String url) {
            return new Member(id, url, since, version);
        }

        Bytes json() {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("id", id);
            fields.put("url", url);
            fields.put("since", since);
            fields.put("version", version);
            return Bytes.of(DshaJson.mapper().valueToTree(fields).toString());
        }

        /** A member from its JSON ({@link #json()}), empty where it is not one. */
        static Optional<Member> of(Bytes value) {
            try {
                JsonNode n = DshaJson.mapper().readTree(value.toByteArray());
                if (n == null || !n.path("id").isTextual()) {
                    return Optional.empty();
                }
                return Optional.of(new Member(n.path("id").asText(), text(n, "url"), text(n, "since"), text(n, "version")));
            } catch (java.io.IOException e) {
                return Optional.empty();
            }
        }

        private static String text(JsonNode n, String field) {
            return n.path(field).isTextual() ? n.path(field).asText() : null;
        }
    }

    private final EtcdClient client;
    /**
     * The election's and the registration's client: the same endpoints with a request timeout of half the lease. A
     * lease request caught in etcd's own change of leader waits inside etcd until etcd gives up (seconds) while the
     * lease runs out; given up after half the lease, it is tried again at the next endpoint in time. Seen without it:
     * an etcd leader killed, no control plane led for 5 s, a campaign won with a lease already past its deadline.
     */
    private final EtcdClient leases;
    private final String prefix;
    private final Duration ttl;
    private volatile Member self;
    private volatile Election election;
    private volatile LeasedKey registration;

    private Replication(EtcdClient client, EtcdClient leases, String prefix, Duration ttl, Member self) {
        this.client = client;
        this.leases = leases;
        this.prefix = prefix;
        this.ttl = ttl;
        this.self = Objects.requireNonNull(self, "self");
    }

    /** One control plane, {@code self}: it decides. */
    static Replication single(Member self) {
        return new Replication(null, null, null, null, self);
    }

    /** {@code self}, one of several on etcd, under {@code prefix}: the leader decides, once {@link #start} has made this one a candidate. */
    static Replication onEtcd(EtcdClient client, EtcdClient leases, String prefix, Duration ttl, Member self) {
        return new Replication(client, leases, prefix, ttl, self);
    }

    /** The request timeout of the election's client: half the lease, at least 500 ms, at most {@code requestTimeout}. */
    static Duration leaseRequestTimeout(Duration ttl, Duration requestTimeout) {
        Duration half = ttl.dividedBy(2);
        Duration atLeast = half.compareTo(Duration.ofMillis(500)) < 0 ? Duration.ofMillis(500) : half;
        return atLeast.compareTo(requestTimeout) > 0 ? requestTimeout : atLeast;
    }

    public boolean replicated() {
        return client != null;
    }

    EtcdClient client() {
        return client;
    }

    /** This control plane: its id, since and version from the start, its URL once it listens ({@link #start}). */
    public Member self() {
        return self;
    }

    /**
     * Once the API listens at {@code url}: on etcd, registers this control plane among the members and campaigns;
     * {@code changed} hears of every change of role (on an event loop: keep it short).
     */
    void start(String url, Consumer<Role> changed) {
        Member me = self.at(url);
        self = me;
        if (client == null) {
            return;
        }
        LeasedKey k = new LeasedKey(leases, Bytes.of(prefix + "members/" + me.id()), me.json(), ttl);
        k.onChange(status -> {
            if (status.state() == LeasedKey.State.TAKEN) {
                LOG.errorf("Another control plane is registered as %s: %s. Give each control plane its own dsha.replica-id; this one "
                        + "is not ready until that key goes (as a crashed replica's does a lease ttl, %s, after it died)",
                        me.id(), status.reason(), ttl);
            } else if (status.state() == LeasedKey.State.HELD) {
                LOG.infof("Control plane %s registered among the members", me.id());
            }
        });
        registration = k;
        k.start();
        Election e = new Election(leases, Bytes.of(prefix + "leader"), me.json(), ttl, System::nanoTime);
        e.onChange(role -> {
            LOG.infof("Control plane %s is now %s (%s)%s", me.id(), role.kind(), role.reason(),
                    role.leader().flatMap(Member::of).map(m -> "; the leader is " + m.id() + " at " + m.url()).orElse(""));
            changed.accept(role);
        });
        election = e;
        e.start();
    }

    /** Where this control plane's registration among the members stands (on etcd, once started). */
    public Optional<LeasedKey.Status> registration() {
        LeasedKey k = registration;
        return k == null ? Optional.empty() : Optional.of(k.status());
    }

    /** Every control plane registered now (on etcd), by id. */
    public Future<List<Member>> members() {
        if (client == null) {
            return Future.succeededFuture(List.of(self));
        }
        return client.rangePrefix(Bytes.of(prefix + "members/"))
                .map(r -> r.kvs().stream().map(kv -> Member.of(kv.value())).flatMap(Optional::stream).toList());
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
        return e == null || e.leading() ? Optional.empty() : e.leader().flatMap(Member::of);
    }

    public Role role() {
        Election e = election;
        if (client == null) {
            return new Role(Role.Kind.LEADER, "the only control plane (dsha.store=file)", Optional.empty());
        }
        return e == null ? new Role(Role.Kind.CANDIDATE, "not started", Optional.empty()) : e.role();
    }

    @Override
    public void close() {
        Election e = election;
        LeasedKey k = registration;
        List<Future<Void>> leaving = new ArrayList<>();
        if (e != null) {
            leaving.add(e.close());
        }
        if (k != null) {
            leaving.add(k.close());
        }
        if (!leaving.isEmpty()) {
            try {
                Future.join(leaving).toCompletionStage().toCompletableFuture().get(ttl.toMillis() * 2, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception ex) {
                LOG.debugf("Leaving the election and the members: %s", ex.toString());
            }
        }
        if (client != null) {
            client.close();
            leases.close();
        }
    }
}
