package io.dsha.controlplane.store;

import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.controlplane.topology.ValidateCommand;
import io.dsha.etcd.EtcdClient;
import io.dsha.etcd.EtcdOptions;
import io.vertx.core.Vertx;
import jakarta.validation.ValidatorFactory;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * {@code migrate --from-state-dir DIR --to-etcd URL[,URL...] [--prefix /dsha/]}: copies a file store (its state and
 * event history, as a control plane would read them) into etcd under the prefix, for {@code dsha.store=etcd}. Refuses
 * a prefix that holds anything, and a state directory a running control plane holds. Exit status 0 when copied, 1
 * when refused or failed (the reason printed), 2 on a usage error. Stop the control plane on the directory first.
 */
public final class MigrateCommand {

    static final String USAGE = "usage: migrate --from-state-dir DIR --to-etcd URL[,URL...] [--prefix /dsha/]";

    private MigrateCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        String dir = null;
        String urls = null;
        String prefix = "/dsha/";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--from-state-dir" -> dir = value;
                case "--to-etcd" -> urls = value;
                case "--prefix" -> prefix = value;
                default -> {
                    err.println("migrate: unknown argument " + args[i] + "\n" + USAGE);
                    return 2;
                }
            }
            i++;
        }
        if (dir == null || urls == null || prefix == null || !prefix.startsWith("/") || !prefix.endsWith("/")) {
            err.println(USAGE + (prefix != null && (!prefix.startsWith("/") || !prefix.endsWith("/")) ? "\n--prefix starts and ends with /" : ""));
            return 2;
        }
        EtcdOptions options;
        try {
            options = new EtcdOptions(Arrays.stream(urls.split(",")).map(String::trim).map(URI::create).toList(),
                    java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.empty(), Duration.ofSeconds(10));
        } catch (IllegalArgumentException e) {
            err.println("migrate: --to-etcd: " + e.getMessage());
            return 2;
        }
        Vertx vertx = Vertx.vertx();
        EtcdClient client = new EtcdClient(vertx, options);
        try (ValidatorFactory factory = ValidateCommand.validatorFactory();
                StateStore source = StateStore.open(Path.of(dir), new TopologyValidator(factory.getValidator()), s -> s, Integer.MAX_VALUE)) {
            Published p = source.current();
            EtcdStore.importState(client, prefix, p, options.requestTimeout());
            out.println("migrate: " + source.location() + " (revision " + p.revision() + ", " + p.events().size() + " events) copied to etcd "
                    + options.endpoints() + " under " + prefix + "; start the control planes with dsha.store=etcd, dsha.etcd.prefix=" + prefix);
            return 0;
        } catch (RuntimeException e) {
            err.println("migrate: " + e.getMessage());
            return 1;
        } finally {
            try {
                client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                err.println("migrate: closing: " + e);
            }
        }
    }

}
