package io.dsha.proxy.passthrough;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.util.Arrays;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The first phase of a passthrough connection: collects what the client sends until it holds a
 * whole ClientHello (across any number of segments), within a size limit and a deadline, then
 * stops reading and hands the bytes, untouched, to the {@link PassthroughVerticle} for routing.
 * The deadline is a timer on the connection's event loop: a client that never finishes costs a
 * scheduled task, not a thread.
 */
final class HelloHandler extends ChannelInboundHandlerAdapter {

    /** A fatal TLS alert (RFC 8446 §6): record type 21, TLS 1.2 record version, length 2, level fatal, description. */
    static byte[] alert(int description) {
        return new byte[] {21, 3, 3, 0, 2, 2, (byte) description};
    }

    static final int UNRECOGNIZED_NAME = 112;
    static final int DECODE_ERROR = 50;

    private final PassthroughVerticle relay;
    private final int maxBytes;
    private final long timeoutMs;
    private byte[] bytes = new byte[2048];
    private int length;
    private boolean decided;
    private boolean inputShutdown;
    private ScheduledFuture<?> deadline;

    HelloHandler(PassthroughVerticle relay, int maxBytes, long timeoutMs) {
        this.relay = relay;
        this.maxBytes = maxBytes;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> {
            if (!decided) {
                reject(ctx, "hello_timeout", null);
            }
        }, timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            int n = in.readableBytes();
            if (length > maxBytes && !decided) {
                return; // over the limit already: channelReadComplete rejects
            }
            if (length + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + n));
            }
            in.readBytes(bytes, length, n);
            length += n;
            if (decided && length > maxBytes) {
                // A client that keeps sending while its backend is being connected: it waits, up to the
                // hello limit in memory.
                ctx.channel().config().setAutoRead(false);
            }
        } finally {
            in.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        decide(ctx);
    }

    /** Looks at what was read so far: a whole hello is routed, anything that can never be one is turned away. */
    private void decide(ChannelHandlerContext ctx) {
        if (decided) {
            return; // bytes that came with the hello's last segment: kept, forwarded with it
        }
        if (length > maxBytes) {
            reject(ctx, "too_large", null);
            return;
        }
        ClientHello.Result r = ClientHello.parse(bytes, length);
        switch (r.kind()) {
            case NEED_MORE -> {
            }
            case NOT_TLS -> reject(ctx, "not_tls", null);
            case MALFORMED -> reject(ctx, "malformed", alert(DECODE_ERROR));
            case COMPLETE -> {
                decided = true;
                deadline.cancel(false);
                // Reading goes on while the backend is connected (what follows is kept, and a FIN is
                // remembered): turning it off here made epoll swallow a FIN that came meanwhile.
                relay.route(ctx.channel(), this, r.serverName());
            }
        }
    }

    /** Everything read so far: the ClientHello and whatever followed it in the same reads. */
    ByteBuf received() {
        return Unpooled.wrappedBuffer(bytes, 0, length);
    }

    void reject(ChannelHandlerContext ctx, String reason, byte[] alert) {
        decided = true;
        if (deadline != null) {
            deadline.cancel(false);
        }
        relay.rejected(ctx.channel(), reason);
        if (alert != null && ctx.channel().isActive()) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(alert)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    /**
     * The client's FIN. Before a whole hello it can never route: turned away at once. After it (the
     * hello, its data and the FIN can come in one go, or the FIN while the backend is being connected)
     * it is kept, for the relay to pass on after the bytes. The transport may tell of the FIN before
     * the end of the read that brought the hello's last bytes (io_uring does): what was read is looked
     * at first.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            decide(ctx);
            if (!decided) {
                reject(ctx, "closed_before_hello", null);
            }
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    /** Whether the client half-closed its side while the hello was being routed. */
    boolean inputShutdown() {
        return inputShutdown;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
