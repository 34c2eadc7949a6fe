package io.dsha.proxy.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.incubator.channel.uring.IOUringEventLoopGroup;
import io.netty.incubator.channel.uring.IOUringServerSocketChannel;
import io.netty.incubator.channel.uring.IOUringSocketChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The ring set-up of ours on this machine's kernel: the library built with the module is found and
 * installed, the rings made afterwards have COOP_TASKRUN, and sockets on them work (a real echo over
 * loopback, on one event loop for both ends, many times so completions arrive while the loop runs).
 * It is written for the transport on the class path (a bump that forgot the C code fails here), is
 * refused by a transport of another version or layout, and gives back the ring of a set-up that fails.
 */
class RingSetupTest {

    /** The library's {@code enum step}: where a set-up can fail once the ring's fd exists. */
    private static final int MAP_SUBMISSION_QUEUE = 1;
    private static final int MAP_ENTRIES = 3;
    private static final int MAKE_ARRAYS = 4;

    @Test
    void theLibraryIsWrittenForTheTransportOnTheClassPath() throws Exception {
        IoUringHere.requireLibrary();
        RingSetup.install();
        ClassLoader loader = IOUringEventLoopGroup.class.getClassLoader();
        assertNull(RingSetup.mismatch(RingSetup.writtenFor(), RingSetup.transportVersion(loader), Class.forName(RingSetup.NATIVE_CLASS, false, loader)),
                "netty-incubator-transport-classes-io_uring was bumped: check src/main/c/dsha_io_uring.c against the new "
                        + "Native.createRingBuffer and ioUringExit, then change its WRITTEN_FOR");
    }

    @Test
    void aTransportOfAnotherVersionOrLayoutIsRefused() throws Exception {
        ClassLoader loader = IOUringEventLoopGroup.class.getClassLoader();
        Class<?> nativeClass = Class.forName(RingSetup.NATIVE_CLASS, false, loader);
        assertNull(RingSetup.mismatch("0.0.26.Final", "0.0.26.Final", nativeClass));
        assertEquals("written for netty-incubator-transport-classes-io_uring 0.0.26.Final, the class path has 0.0.27.Final",
                RingSetup.mismatch("0.0.26.Final", "0.0.27.Final", nativeClass));
        assertTrue(RingSetup.mismatch("0.0.26.Final", null, nativeClass).endsWith("a version that " + RingSetup.TRANSPORT_POM + " does not say"));
        assertEquals("the transport's ring layout differs from 0.0.26.Final's: no static native long[][] OtherNative.ioUringSetup(int), "
                + "static native void OtherNative.ioUringExit(long, int, long, int, long, int, int) is static void "
                + OtherNative.class.getName() + ".ioUringExit(long,int,long,int,long,int,int)",
                RingSetup.mismatch("0.0.26.Final", "0.0.26.Final", OtherNative.class));
    }

    @Test
    void aSetUpThatFailsGivesItsRingBack() throws Exception {
        IoUringHere.require();
        RingSetup.install();
        List<String> before = rings();

        for (int step : new int[] {MAP_SUBMISSION_QUEUE, MAP_ENTRIES}) {
            RingSetup.failNextSetupAt(step);
            RuntimeException e = assertThrows(RuntimeException.class, () -> RingSetup.setup(64));
            assertEquals("failed to mmap io_uring ring buffer: Cannot allocate memory", e.getMessage());
            assertEquals(before, rings(), "after a failure at step " + step);
        }
        RingSetup.failNextSetupAt(MAKE_ARRAYS);
        assertThrows(OutOfMemoryError.class, () -> RingSetup.setup(64));
        assertEquals(before, rings(), "after the arrays could not be made");
        // The kernel refusing the ring itself (no entries): nothing was made, nothing to give back.
        RuntimeException e = assertThrows(RuntimeException.class, () -> RingSetup.setup(0));
        assertEquals("failed to create io_uring ring fd: Invalid argument", e.getMessage());
        assertEquals(before, rings());
    }

    /** This process's io_uring file descriptors and mappings. */
    private static List<String> rings() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            Stream<String> open = fds.map(fd -> {
                try {
                    return "fd " + fd.getFileName() + " -> " + Files.readSymbolicLink(fd);
                } catch (IOException gone) {
                    return ""; // the directory's own fd, closed since
                }
            });
            Stream<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream();
            return Stream.concat(open, mapped).filter(line -> line.contains("anon_inode:[io_uring]")).sorted().toList();
        }
    }

    /** A transport's Native whose ring set-up is not the one the library replaces. */
    @SuppressWarnings("unused")
    private static final class OtherNative {
        static void ioUringExit(long a, int b, long c, int d, long e, int f, int g) {
        }
    }

    @Test
    void ringsMadeAfterTheInstallHaveCoopTaskrunAndCarryTraffic() throws Exception {
        IoUringHere.require();

        RingSetup.install();
        IOUringEventLoopGroup group = new IOUringEventLoopGroup(1);
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(IOUringServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.complete(ch);
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ctx.writeAndFlush(msg);
                                }
                            });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            int port = ((java.net.InetSocketAddress) server.localAddress()).getPort();
            assertEquals("rings with COOP_TASKRUN", RingSetup.describe());

            int rounds = 2_000;
            CompletableFuture<Integer> echoed = new CompletableFuture<>();
            Channel client = new Bootstrap().group(group).channel(IOUringSocketChannel.class).handler(new ChannelInboundHandlerAdapter() {
                private final StringBuilder got = new StringBuilder();
                private int count;

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    got.append(b.toString(StandardCharsets.US_ASCII));
                    b.release();
                    int newline;
                    while ((newline = got.indexOf("\n")) >= 0) {
                        got.delete(0, newline + 1);
                        if (++count == rounds) {
                            echoed.complete(count);
                        } else {
                            ctx.writeAndFlush(Unpooled.copiedBuffer("ping " + count + "\n", StandardCharsets.US_ASCII));
                        }
                    }
                }
            }).connect("127.0.0.1", port).sync().channel();
            client.writeAndFlush(Unpooled.copiedBuffer("ping 0\n", StandardCharsets.US_ASCII));
            assertEquals(rounds, echoed.get(30, TimeUnit.SECONDS));
            assertTrue(client.close().await(10, TimeUnit.SECONDS), "the client's close completes");
            // Every channel closed, and its close complete, before the loop stops: nothing left in flight on the ring.
            assertTrue(accepted.get(10, TimeUnit.SECONDS).close().await(10, TimeUnit.SECONDS), "the accepted connection's close completes");
            // A listening io_uring socket closes only once its accept in flight ends: stopListening ends it (as the proxy's
            // listener does). Without it this close waited for one more connection, forever (seen in CI).
            server.eventLoop().submit(() -> Transports.stopListening(server)).await(10, TimeUnit.SECONDS);
            assertTrue(server.close().await(10, TimeUnit.SECONDS), "the listener's close completes");
        } finally {
            assertTrue(group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(20, TimeUnit.SECONDS), "the loops stop");
        }
        assertTrue(RingSetup.describe().startsWith("rings with"), RingSetup.describe());
    }
}
