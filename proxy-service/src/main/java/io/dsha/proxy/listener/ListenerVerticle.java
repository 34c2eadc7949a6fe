package io.dsha.proxy.listener;

import io.dsha.proxy.balance.RoutingTable;
import io.vertx.core.Verticle;

/**
 * One event loop's share of the data listener, whichever kind it is (HTTP proxy or TCP relay): in its
 * {@code start()} it registers its loop with the listener's {@link Acceptor}, which hands it the connections
 * accepted for that loop.
 */
public interface ListenerVerticle extends Verticle {

    /** A new routing decision is in place; called on any thread. */
    default void routingChanged(RoutingTable table) {
    }
}
