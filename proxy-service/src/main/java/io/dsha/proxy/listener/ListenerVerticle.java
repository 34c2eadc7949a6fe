package io.dsha.proxy.listener;

import io.dsha.proxy.balance.RoutingTable;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.Verticle;

/** One event loop's share of the data listener, whichever kind it is (HTTP proxy or TCP relay). */
public interface ListenerVerticle extends Verticle {

    /** The port bound, once started. */
    int actualPort();

    /** A new routing decision is in place; called on any thread. */
    default void routingChanged(RoutingTable table) {
    }

    /**
     * Takes an accepted connection's pipeline away from Vert.x's stream handling: its handlers for
     * chunked writes and its idle timer go; the listener's own handlers replace the rest.
     */
    static void takeOver(ChannelPipeline pipeline) {
        for (String name : pipeline.names()) {
            ChannelHandler h = pipeline.get(name);
            if (h instanceof ChunkedWriteHandler || h instanceof IdleStateHandler) {
                pipeline.remove(h);
            }
        }
    }
}
