package io.dsha.proxy.http;

import io.dsha.proxy.listener.BytePipe;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectDecoder;
import io.netty.handler.codec.http.HttpObjectEncoder;
import io.netty.util.ReferenceCountUtil;

/**
 * Two connections that left HTTP (a WebSocket after its 101) joined byte for byte: what one side
 * reads the other writes, without a copy; a side whose peer cannot keep up stops reading until it
 * drains; when either closes, the other closes after its pending writes.
 */
final class Splice extends BytePipe {

    private final Runnable onClose;

    private Splice(Channel peer, Runnable onClose) {
        super(peer);
        this.onClose = onClose;
    }

    /** Replaces the HTTP handlers of both channels by a splice; {@code onClientClose} runs when the client's side closes. */
    static void join(Channel client, Channel backend, Runnable onClientClose) {
        // Encoders first: from now on bytes may go either way, and an HTTP encoder would refuse them.
        removeAll(client, true);
        removeAll(backend, true);
        client.pipeline().replace(client.pipeline().last(), "splice", new Splice(backend, onClientClose));
        backend.pipeline().replace(backend.pipeline().last(), "splice", new Splice(client, () -> { }));
        // Then the decoders: what they still hold comes out to the splices.
        removeAll(client, false);
        removeAll(backend, false);
        client.config().setAutoRead(true);
        backend.config().setAutoRead(true);
    }

    private static void removeAll(Channel ch, boolean encoders) {
        ChannelPipeline p = ch.pipeline();
        for (String name : p.names()) {
            ChannelHandler h = p.get(name);
            if (encoders) {
                if (h instanceof HttpObjectEncoder) {
                    p.remove(h);
                } else if (h instanceof HttpClientCodec codec) {
                    codec.removeOutboundHandler();
                }
            } else if (h instanceof HttpObjectDecoder || h instanceof HttpClientCodec || h instanceof IdleCloser) {
                p.remove(h);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg); // the empty end the HTTP decoder gives the 101
            return;
        }
        pass(ctx, bytes);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        onClose.run();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
