package io.dsha.proxy.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.api.topology.AdminState;
import io.dsha.api.topology.Backend;
import io.dsha.proxy.balance.RoutingTable;
import io.dsha.proxy.balance.Target;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The per-event-loop backend pool on real sockets: its limit per backend, its waiting line, reuse and closing. */
class BackendPoolTest {

    private NioEventLoopGroup group;
    private EventLoop loop;
    private ServerSocket backend;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private Target target;
    private BackendPool pool;

    @BeforeEach
    void start() throws IOException {
        group = new NioEventLoopGroup(1);
        loop = group.next();
        backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!backend.isClosed()) {
                try {
                    accepted.add(backend.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "test-backend-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        target = new RoutingTable.Registry().target(new Backend("a", "127.0.0.1", backend.getLocalPort(), 0, 1, AdminState.ENABLED, null));
        pool = onLoop(() -> new BackendPool(new Bootstrap().group(loop).channel(NioSocketChannel.class), 2, 8192, 0));
    }

    @AfterEach
    void stop() throws IOException {
        backend.close();
        for (Socket s : accepted) {
            s.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** A lease that records what it got. */
    private static final class Recorder implements BackendPool.Lease {
        final List<BackendPool.Upstream> got = new CopyOnWriteArrayList<>();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        final List<Thread> failedOn = new CopyOnWriteArrayList<>();
        volatile boolean wanted = true;
        volatile boolean uploading;

        @Override
        public boolean uploading() {
            return uploading;
        }

        @Override
        public void acquired(BackendPool.Upstream connection) {
            got.add(connection);
        }

        @Override
        public void failed(Throwable cause) {
            failedOn.add(Thread.currentThread());
            failures.add(cause);
        }

        @Override
        public boolean wanted() {
            return wanted;
        }
    }

    @Test
    void atMostPoolSizeConnectionsPerBackendAndTheNextWaitsForOneToComeBack() {
        List<Recorder> leases = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            leases.add(new Recorder());
        }
        for (Recorder r : leases) {
            run(() -> pool.acquire(target, r));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> leases.get(0).got.size() == 1 && leases.get(1).got.size() == 1);
        assertEquals(0, leases.get(2).got.size(), "the third waits: two connections are the limit");
        await().atMost(Duration.ofSeconds(5)).until(() -> accepted.size() == 2);

        BackendPool.Upstream first = leases.get(0).got.get(0);
        run(() -> pool.release(first, true));
        await().atMost(Duration.ofSeconds(5)).until(() -> leases.get(2).got.size() == 1);
        assertSame(first, leases.get(2).got.get(0), "the connection given back goes to the one waiting, no new connection");
        assertEquals(2, accepted.size());
    }

    @Test
    void uploadsHoldAtMostHalfTheConnectionsSoOtherRequestsStillGetOne() {
        Recorder upload1 = new Recorder();
        Recorder upload2 = new Recorder();
        upload1.uploading = true;
        upload2.uploading = true;
        Recorder normal = new Recorder();
        run(() -> pool.acquire(target, upload1));
        run(() -> pool.acquire(target, upload2));
        run(() -> pool.acquire(target, normal));
        await().atMost(Duration.ofSeconds(5)).until(() -> upload1.got.size() == 1 && normal.got.size() == 1);
        assertEquals(0, upload2.got.size(), "a second upload waits: one of the two connections is its share");

        // The first upload's body is all out: its share is free, and the second waits for a connection to come back.
        run(() -> pool.uploadDone(upload1.got.get(0)));
        run(() -> pool.release(normal.got.get(0), true));
        await().atMost(Duration.ofSeconds(5)).until(() -> upload2.got.size() == 1);
        assertSame(normal.got.get(0), upload2.got.get(0));
        assertEquals(2, accepted.size());
    }

    @Test
    void aConnectionGivenBackIsReusedAndOneNotReusableIsClosedAndReplaced() {
        Recorder a = new Recorder();
        run(() -> pool.acquire(target, a));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.got.size() == 1);
        BackendPool.Upstream c = a.got.get(0);
        run(() -> pool.release(c, true));
        Recorder b = new Recorder();
        run(() -> pool.acquire(target, b));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.got.size() == 1);
        assertSame(c, b.got.get(0), "reused");

        run(() -> pool.release(c, false));
        await().atMost(Duration.ofSeconds(5)).until(() -> !c.channel.isOpen());
        Recorder d = new Recorder();
        run(() -> pool.acquire(target, d));
        await().atMost(Duration.ofSeconds(5)).until(() -> d.got.size() == 1);
        assertNotSame(c, d.got.get(0));
        assertEquals(2, accepted.size());
    }

    @Test
    void aWaiterThatGaveUpIsSkippedAndAClosedPoolRefuses() {
        Recorder one = new Recorder();
        Recorder two = new Recorder();
        Recorder gaveUp = new Recorder();
        Recorder waiting = new Recorder();
        for (Recorder r : List.of(one, two, gaveUp, waiting)) {
            run(() -> pool.acquire(target, r));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> one.got.size() == 1 && two.got.size() == 1);
        gaveUp.wanted = false;
        run(() -> pool.release(one.got.get(0), true));
        await().atMost(Duration.ofSeconds(5)).until(() -> waiting.got.size() == 1);
        assertEquals(0, gaveUp.got.size());

        run(() -> pool.close());
        Recorder late = new Recorder();
        run(() -> pool.acquire(target, late));
        await().atMost(Duration.ofSeconds(5)).until(() -> late.failures.size() == 1);
        assertTrue(late.failures.get(0).getMessage().contains("stopping"), late.failures.toString());
    }

    @Test
    void aRefusedConnectFailsTheLeaseAndFreesItsPlace() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Target nowhere = new RoutingTable.Registry().target(new Backend("z", "127.0.0.1", closedPort, 0, 1, AdminState.ENABLED, null));
        List<Recorder> leases = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Recorder r = new Recorder();
            leases.add(r);
            run(() -> pool.acquire(nowhere, r));
        }
        // Two connect at once (the limit); as each is refused the next waiting one gets its turn.
        await().atMost(Duration.ofSeconds(10)).until(() -> leases.stream().allMatch(r -> r.failures.size() == 1));
        assertTrue(leases.stream().allMatch(r -> r.got.isEmpty()));
    }

    @Test
    void aChannelThatCannotBeCreatedFailsItsLeaseOnTheEventLoop() throws Exception {
        // What Netty does when socket() fails with EMFILE: the bootstrap's future fails on its global executor.
        BackendPool starved = onLoop(() -> new BackendPool(new Bootstrap().group(loop).channelFactory(() -> {
            throw new io.netty.channel.ChannelException(new IOException("newSocketStream(..) failed: Too many open files"));
        }), 2, 8192, 0));
        Thread loopThread = loop.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        Recorder r = new Recorder();
        run(() -> starved.acquire(target, r));
        await().atMost(Duration.ofSeconds(5)).until(() -> r.failures.size() == 1);
        assertSame(loopThread, r.failedOn.get(0), "the exchange hears of it on its own event loop");
        assertTrue(DataPath.ownExhaustion(r.failures.get(0)), r.failures.toString());
        assertTrue(!DataPath.ownExhaustion(new java.net.ConnectException("Connection refused")));
    }

    @Test
    void aConnectionSilentForTheIdleTimeoutIsClosedAndLeavesThePool() throws Exception {
        BackendPool idling = onLoop(() -> new BackendPool(new Bootstrap().group(loop).channel(NioSocketChannel.class), 2, 8192, 300));
        Recorder a = new Recorder();
        run(() -> idling.acquire(target, a));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.got.size() == 1 && accepted.size() == 1);
        BackendPool.Upstream c = a.got.get(0);
        run(() -> idling.release(c, true));
        // The backend sees the proxy's side close (end of stream), and the pool makes a new connection next time.
        accepted.get(0).setSoTimeout(5000);
        assertEquals(-1, accepted.get(0).getInputStream().read());
        await().atMost(Duration.ofSeconds(5)).until(() -> !c.channel.isOpen());
        Recorder b = new Recorder();
        run(() -> idling.acquire(target, b));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.got.size() == 1);
        assertNotSame(c, b.got.get(0));
        run(() -> idling.close());
    }

    private void run(Runnable r) {
        onLoop(() -> {
            r.run();
            return null;
        });
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> c) {
        try {
            return loop.submit(c).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
