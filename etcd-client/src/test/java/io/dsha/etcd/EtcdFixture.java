package io.dsha.etcd;

import static io.dsha.etcd.Sync.await;

import io.dsha.etcdproc.EtcdCluster;
import io.dsha.testkit.etcd.TestEtcd;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd cluster, a Vert.x and a client of every member, closed together (the cluster even where the rest fails
 * to close). As a static {@code @RegisterExtension}, one for the test class; or {@link #start()} and {@link #close()}
 * by hand.
 */
final class EtcdFixture implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

    private final int members;
    private final Duration requestTimeout;
    EtcdCluster cluster;
    Vertx vertx;
    EtcdClient client;

    EtcdFixture(int members, Duration requestTimeout) {
        this.members = members;
        this.requestTimeout = requestTimeout;
    }

    EtcdFixture start() {
        cluster = TestEtcd.start(members);
        vertx = Vertx.vertx();
        client = new EtcdClient(vertx, new EtcdOptions(cluster.clientUrls().stream().map(URI::create).toList(), Optional.empty(),
                Optional.empty(), Optional.empty(), requestTimeout));
        return this;
    }

    /** The first member's client URL. */
    String url() {
        return cluster.member(0).clientUrl();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        try {
            if (vertx != null) {
                await(client.close());
                await(vertx.close());
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }
}
