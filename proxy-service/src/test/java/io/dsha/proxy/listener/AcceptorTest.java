package io.dsha.proxy.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dsha.proxy.transport.Transports;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The data listener's socket on real sockets and a real Vert.x: port 0 binds a free port and says which, the
 * connections go to the registered loops in turn with their pipelines empty and reading, and once closed the port
 * refuses connections while those taken stay open and Vert.x's loops run on. On Java NIO, and on the native
 * transport this machine gives Vert.x (io_uring or epoll), as the proxy runs.
 */
class AcceptorTest {

    private final List<Socket> sockets = new ArrayList<>();
    private Vertx vertx;

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (vertx != null) {
            await(vertx.close());
        }
    }

    /** A listener verticle that registers its loop and echoes what its connections send. */
    private static final class Taker extends AbstractVerticle {
        final Acceptor acceptor;
        final List<Channel> taken = new CopyOnWriteArrayList<>();
        final List<String> wrong = new CopyOnWriteArrayList<>();
        volatile EventLoop loop;

        Taker(Acceptor acceptor) {
            this.acceptor = acceptor;
        }

        @Override
        public void start(Promise<Void> started) {
            loop = BorrowedLoops.current(vertx);
            acceptor.register(loop, this::take);
            started.complete();
        }

        private void take(Channel channel) {
            if (channel.eventLoop() != loop || !loop.inEventLoop()) {
                wrong.add("taken off its loop: " + channel);
            }
            channel.pipeline().forEach(h -> {
                if (!(h.getValue() instanceof io.netty.channel.ChannelInitializer)) {
                    wrong.add("a handler before ours: " + h.getKey());
                }
            });
            taken.add(channel);
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ctx.writeAndFlush(msg);
                }
            });
        }
    }

    private List<Taker> deploy(int loops, int verticles, boolean nativeTransport, Acceptor[] acceptor, String host, int port) throws Exception {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(nativeTransport));
        acceptor[0] = new Acceptor(vertx, host, port);
        List<Taker> takers = new ArrayList<>();
        for (int i = 0; i < verticles; i++) {
            takers.add(new Taker(acceptor[0]));
        }
        List<Taker> queue = new CopyOnWriteArrayList<>(takers);
        await(vertx.deployVerticle(() -> queue.remove(0), new DeploymentOptions().setInstances(verticles)));
        return takers;
    }

    @ParameterizedTest(name = "native transport: {0}")
    @ValueSource(booleans = {false, true})
    void portZeroBindsAFreePortSpreadsTheConnectionsAndStopsAcceptingWhenClosed(boolean nativeTransport) throws Exception {
        Acceptor[] acceptor = new Acceptor[1];
        List<Taker> takers = deploy(2, 2, nativeTransport, acceptor, "127.0.0.1", 0);
        assertEquals(-1, acceptor[0].port());
        int port = await(acceptor[0].bind());
        assertTrue(port > 0, "port " + port);
        assertEquals(port, acceptor[0].port());
        assertNotSame(takers.get(0).loop, takers.get(1).loop);

        for (int i = 0; i < 4; i++) {
            echoes(connect(port), i);
        }
        for (Taker t : takers) {
            assertEquals(2, t.taken.size(), "connections taken on each loop in turn");
            assertEquals(List.of(), t.wrong);
        }

        await(acceptor[0].close());
        if (Transports.inUse(vertx).equals("nio")) {
            // The JDK closes a socket registered with a selector at the selector's next select.
            Awaitility.await("the port refuses connections").atMost(Duration.ofSeconds(5)).until(() -> refuses(port));
        } else {
            assertTrue(refuses(port), "the port refuses connections once the listener is closed");
        }
        for (int i = 0; i < 4; i++) {
            echoes(sockets.get(i), 10 + i); // the connections taken stay open, on loops that still run
        }
        for (Taker t : takers) {
            assertFalse(t.loop.isShuttingDown());
        }
    }

    @Test
    void verticlesThatShareALoopTakeItsConnectionsInTurn() throws Exception {
        Acceptor[] acceptor = new Acceptor[1];
        List<Taker> takers = deploy(1, 2, false, acceptor, "127.0.0.1", 0);
        assertSame(takers.get(0).loop, takers.get(1).loop);
        int port = await(acceptor[0].bind());
        for (int i = 0; i < 4; i++) {
            echoes(connect(port), i);
        }
        assertEquals(2, takers.get(0).taken.size());
        assertEquals(2, takers.get(1).taken.size());
    }

    @Test
    void aPortInUseFailsTheBindAndTheLoopsCannotBeShutDownThroughTheListener() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Acceptor[] acceptor = new Acceptor[1];
            List<Taker> takers = deploy(1, 1, false, acceptor, "127.0.0.1", taken.getLocalPort());
            ExecutionException e = assertThrows(ExecutionException.class, () -> await(acceptor[0].bind()));
            assertTrue(e.getCause() instanceof IOException, e.getCause().toString());
            assertEquals(-1, acceptor[0].port());
            BorrowedLoops loops = new BorrowedLoops(List.of(takers.get(0).loop));
            assertThrows(UnsupportedOperationException.class, loops::shutdownGracefully);
            assertFalse(takers.get(0).loop.isShuttingDown());
        }
    }

    private static boolean refuses(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    private Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(5_000);
        sockets.add(s);
        return s;
    }

    /** Writes a byte and reads it back: the connection was taken, set up and is reading. */
    private static void echoes(Socket s, int b) {
        try {
            s.getOutputStream().write(b);
            s.getOutputStream().flush();
            assertEquals(b, s.getInputStream().read());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T await(Future<T> f) throws ExecutionException, InterruptedException, TimeoutException {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
