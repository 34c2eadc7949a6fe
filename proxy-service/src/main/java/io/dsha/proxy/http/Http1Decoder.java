package io.dsha.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.util.List;

/**
 * Netty's HTTP/1.x request decoder, which also tells whether the next request has begun: bytes of it
 * are buffered, or its request line was read and its head is not complete yet. The connection's
 * {@link ClientClock} asks when an answer is out, to time the next head rather than an idle wait.
 */
final class Http1Decoder extends HttpRequestDecoder {

    /** A request line was read; its head has not been passed on yet. */
    private boolean headPending;

    Http1Decoder(HttpDecoderConfig config) {
        super(config);
    }

    @Override
    protected HttpMessage createMessage(String[] initialLine) throws Exception {
        headPending = true;
        return super.createMessage(initialLine);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int before = out.size();
        super.decode(ctx, buffer, out);
        // One call passes on at most one head (Netty's decoder returns after each), so a head passed on is the pending one.
        for (int i = before; i < out.size(); i++) {
            if (out.get(i) instanceof HttpMessage) {
                headPending = false;
            }
        }
    }

    /** Whether part of a next request has been read. */
    boolean holdsBytes() {
        return headPending || actualReadableBytes() > 0;
    }
}
