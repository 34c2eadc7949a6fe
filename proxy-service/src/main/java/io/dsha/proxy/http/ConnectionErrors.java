package io.dsha.proxy.http;

import io.dsha.proxy.ops.ProxyMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.jboss.logging.Logger;

/**
 * The last handler of an HTTP/2 client connection: a protocol error (a malformed frame, a flood that
 * Netty's codec refuses) has already been answered with a GOAWAY by the codec; here it is counted
 * ({@code dsha_proxy_client_errors_total{reason="h2_protocol"}}) and logged at DEBUG, once, instead of
 * reaching the pipeline's tail, where Netty logs it at WARN with its stack trace (46 lines a connection:
 * a log flood any client can cause).
 */
final class ConnectionErrors extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = Logger.getLogger(ConnectionErrors.class);

    private final ProxyMetrics metrics;

    ConnectionErrors(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        metrics.clientError("h2_protocol");
        LOG.debugf("HTTP/2 connection %s: %s", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
