package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;
import static io.dsha.etcd.Sync.b;
import static io.dsha.etcd.Sync.failure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.etcdproc.EtcdCluster;
import io.dsha.testkit.etcd.TestEtcd;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** etcd serving its clients over TLS and asking each for a certificate ({@code --client-cert-auth}). */
class EtcdTlsTest {

    private static Path dir;
    private static TestPki pki;
    private static EtcdCluster etcd;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        TestEtcd.require();
        dir = Files.createTempDirectory("dsha-etcd-tls-");
        pki = new TestPki(dir);
        etcd = TestEtcd.start(1, Optional.of(pki.etcdTls()));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (vertx != null) {
                await(vertx.close());
            }
        } finally {
            if (etcd != null) {
                etcd.close();
            }
            if (dir != null) {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.delete(f);
                    }
                }
                Files.delete(dir);
            }
        }
    }

    private static EtcdClient client(EtcdOptions options) {
        return new EtcdClient(vertx, options.withRequestTimeout(Duration.ofSeconds(3)));
    }

    @Test
    void withTheCaAndAClientCertificateEverythingWorks() {
        String url = etcd.member(0).clientUrl();
        assertTrue(url.startsWith("https://"), url);
        EtcdClient client = client(EtcdOptions.of(url).withTls(pki.ca, pki.clientCert, pki.clientKey));
        try {
            Watcher w = Watcher.start(client, b("/tls/"), 0, false);
            await(w.current().created());
            await(client.put(b("/tls/k"), b("secret")));
            assertEquals("secret", await(client.range(b("/tls/k"))).first().orElseThrow().value().utf8());
            await().atMost(Duration.ofSeconds(20)).until(() -> w.values().equals(List.of("secret")));
            assertTrue(await(client.status()).get(0).answered());
            assertTrue(await(client.health()).get(0).healthy());
            w.cancel();
        } finally {
            await(client.close());
        }
    }

    @Test
    void withoutAClientCertificateEtcdRefusesAndTheErrorNamesTheEndpoint() {
        String url = etcd.member(0).clientUrl();
        EtcdClient client = client(EtcdOptions.of(url).withTls(pki.ca, null, null));
        try {
            EtcdException e = failure(client.range(b("/tls/k")));
            assertTrue(e.getMessage().startsWith("etcd at " + url + " did not answer POST /v3/kv/range: "), e.getMessage());
        } finally {
            await(client.close());
        }
    }

    @Test
    void withoutTrustingItsCaTheServerIsRefused() {
        String url = etcd.member(0).clientUrl();
        EtcdClient client = client(EtcdOptions.of(url));
        try {
            EtcdException e = failure(client.range(b("/tls/k")));
            assertTrue(e.getMessage().startsWith("etcd at " + url + " did not answer POST /v3/kv/range: "), e.getMessage());
        } finally {
            await(client.close());
        }
    }
}
