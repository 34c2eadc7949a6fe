package io.dsha.proxy.listener;

import io.netty.channel.Channel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One listener verticle's client connections: admitted within the proxy's connection limit (else closed at once),
 * counted in the metrics while open, and closed all together when the verticle stops.
 */
public final class Clients {

    private final DataPlane plane;
    private final boolean connectionIsWork;
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();

    /**
     * @param connectionIsWork whether a connection is itself the work graceful shutdown waits for (the TCP relay:
     *     refused once shutting down, in flight while open), rather than the requests on it (HTTP)
     */
    public Clients(DataPlane plane, boolean connectionIsWork) {
        this.plane = plane;
        this.connectionIsWork = connectionIsWork;
    }

    /** Lets a newly accepted connection in, or closes it: whether it was let in. On its event loop. */
    public boolean admit(Channel channel) {
        if (connectionIsWork && plane.turningAway()) {
            plane.metrics().rejected("shutting_down");
            channel.close();
            return false;
        }
        if (!plane.admit()) {
            channel.close();
            return false;
        }
        if (connectionIsWork) {
            plane.begin();
        }
        plane.metrics().connectionOpened();
        open.add(channel);
        channel.closeFuture().addListener(f -> {
            open.remove(channel);
            plane.released();
            if (connectionIsWork) {
                plane.end();
            }
            plane.metrics().connectionClosed();
        });
        return true;
    }

    /** Closes every connection still open; from any thread. */
    public void closeAll() {
        for (Channel c : List.copyOf(open)) {
            c.close();
        }
    }
}
