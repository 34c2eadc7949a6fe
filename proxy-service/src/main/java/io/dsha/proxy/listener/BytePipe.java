package io.dsha.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * One direction of two joined connections, installed on the channel it reads from: the bytes
 * (pooled buffers, passed on without a copy) go to {@code peer}, flushed at the end of each read.
 * Backpressure: when the peer's outbound buffer is above its high-water mark this side stops
 * reading until the peer drains, so a slow reader holds at most one read's worth plus the water
 * mark in memory. Used by the TLS passthrough relay and by WebSocket splices.
 */
public abstract class BytePipe extends ChannelInboundHandlerAdapter {

    protected final Channel peer;

    protected BytePipe(Channel peer) {
        this.peer = peer;
    }

    /** Writes {@code bytes} to the peer, pausing this side's reads while the peer cannot take more. */
    protected final void pass(ChannelHandlerContext ctx, ByteBuf bytes) {
        peer.write(bytes, peer.voidPromise());
        if (!peer.isWritable()) {
            // Stop reading first: the flush may drain the peer at once, and the writability event it fires
            // then (synchronously) must find reading already off, or it would be lost.
            ctx.channel().config().setAutoRead(false);
            peer.flush();
            if (peer.isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
    }

    /** This channel drained below its low-water mark: the peer, which writes into it, may read again. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }
}
