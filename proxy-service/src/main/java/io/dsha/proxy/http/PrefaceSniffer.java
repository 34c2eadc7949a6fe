package io.dsha.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Tells HTTP/2 with prior knowledge (a cleartext connection that opens with the HTTP/2 preface)
 * from HTTP/1.x by its first bytes, sets the connection's pipeline up for it, and steps aside; the
 * bytes read so far go on to the protocol's own decoder.
 */
final class PrefaceSniffer extends ByteToMessageDecoder {

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Called with the context and whether the connection speaks HTTP/2. */
    private final BiConsumer<ChannelHandlerContext, Boolean> configure;
    private final Deadlines firstBytes;
    /** A connection that sends too little to tell is closed (a request's head is due as soon as it is accepted). */
    private Deadlines.Deadline deadline;

    /** @param firstBytes how long a new connection may take to send enough to tell (the request-header timeout) */
    PrefaceSniffer(BiConsumer<ChannelHandlerContext, Boolean> configure, Deadlines firstBytes) {
        this.configure = configure;
        this.firstBytes = firstBytes;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = firstBytes.add(System.nanoTime(), ctx::close);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel();
            deadline = null;
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
                decided(ctx, false);
                return;
            }
        }
        if (n == PREFACE.length) {
            decided(ctx, true);
        }
    }

    private void decided(ChannelHandlerContext ctx, boolean h2) {
        configure.accept(ctx, h2);
        ctx.pipeline().remove(this);
    }
}
