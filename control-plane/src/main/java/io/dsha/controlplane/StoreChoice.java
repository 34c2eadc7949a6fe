package io.dsha.controlplane;

import io.dsha.controlplane.store.EtcdStore;
import io.dsha.controlplane.store.StateStore;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.etcd.EtcdClient;
import io.dsha.etcd.EtcdOptions;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which store the configuration asks for ({@code dsha.store}), checked at start: every problem with the
 * {@code dsha.etcd.*} settings is named in one message, before anything is opened.
 */
final class StoreChoice {

    private StoreChoice() {
    }

    /** {@code self}, the one control plane ({@code dsha.store=file}), or a replica of several on etcd. */
    static Replication replication(ControlPlaneConfig config, Vertx vertx, Replication.Member self) {
        if (config.store() == ControlPlaneConfig.StoreKind.FILE) {
            return Replication.single(self);
        }
        EtcdOptions options = etcdOptions(config.etcd());
        Duration leaseTimeout = Replication.leaseRequestTimeout(config.etcd().leaseTtl(), options.requestTimeout());
        return Replication.onEtcd(new EtcdClient(vertx, options), new EtcdClient(vertx, options.withRequestTimeout(leaseTimeout)),
                config.etcd().prefix(), config.etcd().leaseTtl(), self);
    }

    static ControlPlane.StoreOpener opener(ControlPlaneConfig config, TopologyValidator validator, Replication replication) {
        if (!replication.replicated()) {
            return settle -> StateStore.open(Path.of(config.stateDir()), validator, settle, config.maxEvents());
        }
        return settle -> EtcdStore.open(replication.client(), config.etcd().prefix(), validator, settle, config.maxEvents(),
                replication.client().options().requestTimeout(), replication::fence);
    }

    /** The etcd client's options from {@code dsha.etcd.*}; every problem at once, naming the setting. */
    static EtcdOptions etcdOptions(ControlPlaneConfig.Etcd etcd) {
        List<String> problems = new ArrayList<>();
        List<URI> endpoints = new ArrayList<>();
        List<String> given = etcd.endpoints().orElse(List.of()).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (given.isEmpty()) {
            problems.add("dsha.store=etcd needs dsha.etcd.endpoints: etcd's client URLs, comma-separated "
                    + "(e.g. http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379)");
        }
        for (String url : given) {
            try {
                URI u = new URI(url);
                String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null || u.getPort() < 0) {
                    problems.add("dsha.etcd.endpoints: " + url + " is not http://host:port or https://host:port");
                } else {
                    endpoints.add(u);
                }
            } catch (URISyntaxException e) {
                problems.add("dsha.etcd.endpoints: " + url + " is not a URL (" + e.getReason() + ")");
            }
        }
        String prefix = etcd.prefix();
        if (!prefix.startsWith("/") || !prefix.endsWith("/") || prefix.length() < 2) {
            problems.add("dsha.etcd.prefix: " + prefix + " must start and end with / (e.g. /dsha/ or /dsha/site-a/)");
        }
        Optional<Path> ca = readable("dsha.etcd.ca-file", etcd.caFile(), problems);
        Optional<Path> cert = readable("dsha.etcd.cert-file", etcd.certFile(), problems);
        Optional<Path> key = readable("dsha.etcd.key-file", etcd.keyFile(), problems);
        if (etcd.certFile().isPresent() != etcd.keyFile().isPresent()) {
            problems.add("dsha.etcd.cert-file and dsha.etcd.key-file go together (a client certificate and its key)");
        }
        if (etcd.requestTimeout().isNegative() || etcd.requestTimeout().isZero()) {
            problems.add("dsha.etcd.request-timeout must be positive, not " + etcd.requestTimeout());
        }
        if (etcd.leaseTtl().compareTo(java.time.Duration.ofSeconds(1)) < 0 || etcd.leaseTtl().toMillis() % 1000 != 0) {
            problems.add("dsha.etcd.lease-ttl must be whole seconds, at least 1s (etcd's leases count seconds), not " + etcd.leaseTtl());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new EtcdOptions(endpoints, ca, cert, key, etcd.requestTimeout());
    }

    private static Optional<Path> readable(String setting, Optional<String> file, List<String> problems) {
        if (file.isEmpty()) {
            return Optional.empty();
        }
        Path p = Path.of(file.get());
        if (!Files.isReadable(p) || Files.isDirectory(p)) {
            problems.add(setting + ": " + p.toAbsolutePath() + " is not a readable file");
        }
        return Optional.of(p);
    }
}
