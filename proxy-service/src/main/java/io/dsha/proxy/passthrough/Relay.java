package io.dsha.proxy.passthrough;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelOutputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/**
 * One direction of a relayed connection, installed on the channel it reads from: the bytes
 * (pooled buffers, passed on without a copy) go to {@code peer}. Backpressure: when the peer's
 * outbound buffer is above its high-water mark this side stops reading until the peer drains,
 * so a slow reader holds at most one read's worth plus the water mark in memory. A FIN from this
 * side (half-close) becomes a FIN towards the peer once everything before it was written; a
 * channel that has ended both ways is closed, and a close or error closes the peer after its
 * pending writes: the session ends whatever the order of FINs and resets from either side.
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

    /**
     * A FIN from this side is passed on, after what is already queued for the peer, as the peer's output
     * shutdown. Whichever channel has then ended both ways is closed, which closes the other after its
     * pending writes. The check is made on each half's end, input (a FIN read) as well as output (a FIN
     * sent, or output ended by a write error), since the two FINs of a session may cross: on io_uring the
     * write that carries a FIN on completes only after the loop's next turn, so both inputs may have ended
     * before either output has, and a check on input alone then left both channels open for good.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) this::finPassedOn);
            closeIfEnded(ctx.channel());
        } else if (event instanceof ChannelOutputShutdownEvent) {
            closeIfEnded(ctx.channel());
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    /** What was queued for the peer has been written (or not): end its output, or close it if it cannot take the FIN. */
    private void finPassedOn(ChannelFuture written) {
        if (!peer.isOpen()) {
            return;
        }
        if (!written.isSuccess() || !(peer instanceof DuplexChannel d)) {
            session.ending((fromClient ? "backend" : "client") + " gone before the FIN was passed on");
            peer.close();
            return;
        }
        if (d.isOutputShutdown()) {
            closeIfEnded(peer);
            return;
        }
        d.shutdownOutput().addListener((ChannelFutureListener) shut -> {
            if (shut.isSuccess()) {
                closeIfEnded(peer);
            } else {
                // The socket is gone already (a reset: ENOTCONN), and no read of it may ever tell.
                session.ending((fromClient ? "backend" : "client") + " gone before the FIN was passed on");
                peer.close();
            }
        });
    }

    /** Closes {@code channel} once nothing more can go either way on it. */
    private void closeIfEnded(Channel channel) {
        if (channel instanceof DuplexChannel d && d.isInputShutdown() && d.isOutputShutdown() && channel.isOpen()) {
            session.ending("closed by both sides");
            channel.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.ending(fromClient ? "closed by client" : "closed by backend");
        if (peer.isOpen()) {
            // Open is enough: a peer that is no longer active but still open holds a descriptor all the same.
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
