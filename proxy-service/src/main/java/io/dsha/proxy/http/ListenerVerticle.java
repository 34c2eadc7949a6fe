package io.dsha.proxy.http;

import io.dsha.proxy.balance.RoutingTable;
import io.vertx.core.Verticle;

/** One event loop's share of the data listener, whichever kind it is (HTTP proxy or TCP relay). */
public interface ListenerVerticle extends Verticle {

    /** The port bound, once started. */
    int actualPort();

    /** A new routing decision is in place; called on any thread. */
    default void routingChanged(RoutingTable table) {
    }
}
