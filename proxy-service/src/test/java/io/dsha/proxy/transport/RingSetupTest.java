package io.dsha.proxy.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The ring set-up of ours on this machine's kernel: the library built with the module is found and
 * installed, the rings made afterwards have COOP_TASKRUN, and sockets on them work (a real echo over
 * loopback, on one event loop for both ends, many times so completions arrive while the loop runs).
 */
class RingSetupTest {

    @Test
    void ringsMadeAfterTheInstallHaveCoopTaskrunAndCarryTraffic() throws Exception {
        IoUringHere.require();

        RingSetup.install();
        IOUringEventLoopGroup group = new IOUringEventLoopGroup(1);
        try {
            Channel server = new ServerBootstrap().group(group).channel(IOUringServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
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
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        assertTrue(RingSetup.describe().startsWith("rings with"), RingSetup.describe());
    }
}
