package io.dsha.proxy.passthrough;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/**
 * One direction of a relayed connection, installed on the channel it reads from: the bytes
 * (pooled buffers, passed on without a copy) go to {@code peer}. Backpressure: when the peer's
 * outbound buffer is above its high-water mark this side stops reading until the peer drains,
 * so a slow reader holds at most one read's worth plus the water mark in memory. A FIN from this
 * side (half-close) becomes a FIN towards the peer once everything before it was written; a
 * close or error closes the peer after its pending writes.
 */
final class Relay extends io.dsha.proxy.listener.BytePipe {

    private final Session session;
    private final boolean fromClient;

    Relay(Session session, Channel peer, boolean fromClient) {
        super(peer);
        this.session = session;
        this.fromClient = fromClient;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf bytes = (ByteBuf) msg;
        session.relayed(fromClient, bytes.readableBytes());
        pass(ctx, bytes);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            // This side will send nothing more: pass the FIN on after what is already queued.
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                if (peer instanceof DuplexChannel d && peer.isActive()) {
                    d.shutdownOutput();
                }
            });
            if (ctx.channel() instanceof DuplexChannel d && d.isOutputShutdown()) {
                // The other direction had ended already: the conversation is over.
                session.ending("closed by both sides");
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.ending(fromClient ? "closed by client" : "closed by backend");
        if (peer.isActive()) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        session.channelClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        session.ending((fromClient ? "client" : "backend") + " error: " + cause.getMessage());
        ctx.close();
    }
}
