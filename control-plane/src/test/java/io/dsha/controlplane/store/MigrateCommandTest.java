package io.dsha.controlplane.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.event.Event;
import io.dsha.api.topology.Backend;
import io.dsha.api.topology.Mode;
import io.dsha.api.topology.Topology;
import io.dsha.controlplane.decision.DecisionEngine;
import io.dsha.controlplane.topology.TopologyValidator;
import io.dsha.etcd.EtcdClient;
import io.dsha.etcd.EtcdOptions;
import io.dsha.etcdproc.EtcdCluster;
import io.dsha.testkit.etcd.TestEtcd;
import io.vertx.core.Vertx;
import jakarta.validation.Validation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code migrate}: a state directory copied into a real etcd, read back by the etcd store; a used prefix refused. */
class MigrateCommandTest {

    private static final TopologyValidator VALIDATOR = new TopologyValidator(Validation.byProvider(HibernateValidator.class)
            .configure().messageInterpolator(new ParameterMessageInterpolator()).buildValidatorFactory().getValidator());

    @TempDir
    Path dir;

    private final DecisionEngine engine = new DecisionEngine(java.time.Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"),
            java.time.ZoneOffset.UTC), 3);

    private record Run(int status, String out, String err) {
    }

    private static Run migrate(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = MigrateCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Topology topology(Mode mode) {
        return new Topology(null, null, null, mode, null, null,
                List.of(new Backend("a", "10.0.0.1", 80, null, null, null, null), new Backend("b", "10.0.0.2", 80, null, null, null, null)));
    }

    @Test
    void aStateDirectoryIsCopiedWholeAndAUsedPrefixIsRefused() throws Exception {
        Published before;
        try (StateStore files = StateStore.open(dir, VALIDATOR, s -> engine.tick(s).state(), 100)) {
            files.update(null, s -> engine.applyTopology(s, topology(Mode.ACTIVE_PASSIVE)));
            files.update(null, s -> engine.applyTopology(s, topology(Mode.ACTIVE_ACTIVE)));
            before = files.current();
        }
        try (EtcdCluster etcd = TestEtcd.start(1)) {
            String urls = String.join(",", etcd.clientUrls());
            Run copied = migrate("--from-state-dir", dir.toString(), "--to-etcd", urls, "--prefix", "/site-a/");
            assertEquals(0, copied.status(), copied.err());
            assertTrue(copied.out().contains("revision " + before.revision()), copied.out());

            Vertx vertx = Vertx.vertx();
            EtcdClient client = new EtcdClient(vertx, new EtcdOptions(etcd.clientUrls().stream().map(URI::create).toList(), Optional.empty(),
                    Optional.empty(), Optional.empty(), Duration.ofSeconds(5)));
            try (EtcdStore read = EtcdStore.open(client, "/site-a/", VALIDATOR, s -> engine.tick(s).state(), 100, Duration.ofSeconds(5),
                    Optional::empty)) {
                assertEquals(before.revision(), read.current().revision());
                assertEquals(before.topologyRevision(), read.current().topologyRevision());
                assertEquals(before.state().topology(), read.current().state().topology());
                assertEquals(before.state().routing(), read.current().state().routing());
                assertEquals(before.events().stream().map(Event::seq).toList(), read.current().events().stream().map(Event::seq).toList());
            } finally {
                client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }

            Run again = migrate("--from-state-dir", dir.toString(), "--to-etcd", urls, "--prefix", "/site-a/");
            assertEquals(1, again.status());
            assertTrue(again.err().contains("refusing to overwrite"), again.err());
        }
    }

    @Test
    void usageErrorsSayHow() {
        Run none = migrate();
        assertEquals(2, none.status());
        assertTrue(none.err().contains(MigrateCommand.USAGE), none.err());
        Run badPrefix = migrate("--from-state-dir", dir.toString(), "--to-etcd", "http://127.0.0.1:1", "--prefix", "dsha");
        assertEquals(2, badPrefix.status());
        assertTrue(badPrefix.err().contains("--prefix starts and ends with /"), badPrefix.err());
        Run badUrl = migrate("--from-state-dir", dir.toString(), "--to-etcd", "ftp://x");
        assertEquals(2, badUrl.status());
        assertTrue(badUrl.err().contains("--to-etcd"), badUrl.err());
    }
}
